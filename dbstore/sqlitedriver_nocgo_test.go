//go:build !cgo

package dbstore_test

import "database/sql/driver"

// sqliteDriver is never called without cgo: NeedSQLite skips first.
func sqliteDriver() driver.Driver { return nil }
