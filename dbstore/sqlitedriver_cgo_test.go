//go:build cgo

package dbstore_test

import (
	"database/sql/driver"

	"github.com/mattn/go-sqlite3"
)

// sqliteDriver is the driver openWrapped wraps for SQLite.
func sqliteDriver() driver.Driver { return &sqlite3.SQLiteDriver{} }
