package diskstore

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// exchange swaps the files named a and b in one atomic step. It returns
// an error wrapping fs.ErrNotExist when either is missing, and
// errNoExchange when the file system cannot exchange.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSYS) || errors.Is(err, syscall.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}
