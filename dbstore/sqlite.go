package dbstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SQLiteAvailable reports whether this program can open SQLite databases:
// go-sqlite3 is a C library, so a program built with CGO_ENABLED=0 cannot,
// and OpenSQLite then returns an error saying so.
func SQLiteAvailable() bool { return sqliteAvailable }

// SQLiteDSN returns the go-sqlite3 data source name OpenSQLite uses for the
// database file path: write-ahead logging (readers never wait for the
// writer), a 5 second busy timeout (a writer waits for another process's
// write instead of failing at once), synchronous=NORMAL (safe with WAL; a
// power cut may lose the last commits, never corrupt the file),
// immediate transactions and a 64 MiB page cache (SQLite's default is 2
// MiB, which a table of a million sessions outgrows at once). Use it to
// open the database through a wrapped driver, then call ConfigureSQLite.
func SQLiteDSN(path string) string {
	params := "_journal_mode=WAL&_busy_timeout=5000&_synchronous=NORMAL&_txlock=immediate&_cache_size=-65536"
	if path == ":memory:" {
		return "file::memory:?" + params
	}
	// The path becomes a file: URI; only these three characters would be
	// read as URI syntax.
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + path + "?" + params
}

// ConfigureSQLite gives db the pool that suits SQLite's single writer: one
// connection, kept open. Statements queue in the pool, in order, instead
// of contending for SQLite's write lock and sleeping in its busy handler;
// each of dbstore's statements takes microseconds, and another process on
// the same file is held off by the busy timeout.
func ConfigureSQLite(db *sql.DB) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

// OpenSQLite opens (creating it if missing) the SQLite database in the
// file at path, with the settings of SQLiteDSN and ConfigureSQLite, and
// checks that it can be used:
//
//	db, err := dbstore.OpenSQLite("sessions.db")
func OpenSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("dbstore: OpenSQLite needs a file name")
	}
	if !sqliteAvailable {
		return nil, fmt.Errorf("dbstore: opening %s: SQLite needs cgo, and this program was built with CGO_ENABLED=0", path)
	}
	db, err := sql.Open("sqlite3", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("dbstore: opening %s: %w", path, err)
	}
	ConfigureSQLite(db)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("dbstore: opening %s: %w", path, err)
	}
	return db, nil
}
