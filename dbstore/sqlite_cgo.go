//go:build cgo

package dbstore

import _ "github.com/mattn/go-sqlite3" // the default database; a C library, hence cgo

// sqliteAvailable: this binary links SQLite.
const sqliteAvailable = true
