package diskstore

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchange swaps the files named a and b in one atomic step. It returns
// an error wrapping fs.ErrNotExist when either is missing, and
// errUnsupported when the file system cannot exchange.
func exchange(a, b string) error {
	return renameat2(a, b, unix.RENAME_EXCHANGE)
}

// renameNew renames the file a to b in one atomic step that fails, with
// an error wrapping fs.ErrExist, when b exists. It returns errUnsupported
// when the file system cannot refuse so.
func renameNew(a, b string) error {
	return renameat2(a, b, unix.RENAME_NOREPLACE)
}

func renameat2(a, b string, flags uint) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, flags)
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) {
		return errUnsupported
	}
	return err
}
