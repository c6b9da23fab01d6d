//go:build !cgo

package dbstore

// sqliteAvailable: built with CGO_ENABLED=0, this binary cannot link
// go-sqlite3, a C library; its stub would fail at the first statement, so
// OpenSQLite says why at once instead. PostgreSQL and MySQL work as ever.
const sqliteAvailable = false
