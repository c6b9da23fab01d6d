package dbstore_test

import (
	"os"
	"testing"

	"github.com/gowebpy/web/dbstore"
)

// TestMain says, after the tests, how many were skipped for want of a
// database and what to set to run them. The child processes some tests
// start run quietly: their parent reports.
func TestMain(m *testing.M) {
	if os.Getenv(envChild) != "" || os.Getenv(envUTC) != "" {
		os.Exit(m.Run())
	}
	os.Exit(dbstore.Skips.Main(m, "dbstore"))
}
