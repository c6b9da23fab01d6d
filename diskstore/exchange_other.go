//go:build !linux

package diskstore

// exchange is not available here: Save renames a new file over the
// session's file instead.
func exchange(a, b string) error { return errNoExchange }
