//go:build unix

package diskstore_test

import (
	"os"
	"syscall"
)

// blocks returns the bytes a file takes on disk.
func blocks(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
