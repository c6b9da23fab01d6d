package dbstore

import (
	"testing"

	"github.com/gowebpy/web/internal/servicetest"
)

// Skips counts the tests of this package, in both of its test packages,
// skipped for want of a database; TestMain (main_test.go) reports them.
var Skips servicetest.Skips

// NeedSQLite skips t, and counts it, when this test binary cannot open
// SQLite (built with CGO_ENABLED=0).
func NeedSQLite(t testing.TB) {
	t.Helper()
	if !sqliteAvailable {
		Skips.Skip(t, servicetest.SQLite, "this test binary was built with CGO_ENABLED=0")
	}
}

// NumberPlaceholders is numberPlaceholders, for tests that write their own
// statements.
var NumberPlaceholders = numberPlaceholders
