//go:build !linux

package diskstore

// exchange is not available here: Save renames a new file over the
// session's file instead.
func exchange(a, b string) error { return errUnsupported }

// renameNew is not available here either: Save renames a new session's
// file over the name its fresh key makes, which does not exist.
func renameNew(a, b string) error { return errUnsupported }
