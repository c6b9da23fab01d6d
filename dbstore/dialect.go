package dbstore

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gowebpy/web/session"
)

// Dialect is the SQL flavour of a database. New detects it from the
// driver; WithDialect names it when the driver is wrapped (for tracing,
// say) and its type gives no hint.
type Dialect uint8

// The dialects dbstore speaks.
const (
	// SQLite, through github.com/mattn/go-sqlite3 (the default) or
	// modernc.org/sqlite. Needs SQLite 3.24 or later (upserts).
	SQLite Dialect = iota + 1
	// PostgreSQL 9.5 or later, through github.com/jackc/pgx/v5/stdlib or
	// github.com/lib/pq.
	PostgreSQL
	// MySQL 5.7 or later and MariaDB 10.3 or later, through
	// github.com/go-sql-driver/mysql.
	MySQL
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

func (d Dialect) valid() bool { return d >= SQLite && d <= MySQL }

// detectDialect names the dialect of drv by the name of its type, so that
// dbstore needs to import no driver but the SQLite default.
func detectDialect(drv driver.Driver) (Dialect, bool) {
	switch fmt.Sprintf("%T", drv) {
	case "*sqlite3.SQLiteDriver", // github.com/mattn/go-sqlite3
		"*sqlite.Driver": // modernc.org/sqlite
		return SQLite, true
	case "*stdlib.Driver", // github.com/jackc/pgx/v4 and v5 stdlib
		"*pq.Driver", "pq.Driver": // github.com/lib/pq
		return PostgreSQL, true
	case "*mysql.MySQLDriver", "mysql.MySQLDriver": // github.com/go-sql-driver/mysql
		return MySQL, true
	}
	return 0, false
}

// maxTableName leaves room for the suffixes of the lock table and the
// index within PostgreSQL's 63-byte and MySQL's 64-byte identifiers.
const maxTableName = 48

// checkTable accepts lower-case SQL identifiers only: a letter or an
// underscore, then letters, digits and underscores. Lower case means the
// name is the same quoted or not, in every dialect, so a table created by
// hand from schema.sql is the one the queries name.
func checkTable(name string) error {
	if name == "" || len(name) > maxTableName {
		return fmt.Errorf("dbstore: table name %.64q must be 1 to %d characters", name, maxTableName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c == '_' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return fmt.Errorf("dbstore: table name %.64q: use lower-case letters, digits and underscores, starting with a letter or underscore", name)
	}
	return nil
}

func (d Dialect) quote(ident string) string {
	if d == MySQL {
		return "`" + ident + "`"
	}
	return `"` + ident + `"`
}

// Schema returns the DDL that creates table and its lock table in dialect
// d: the statements WithCreateTable runs, one per element, and the ones
// schema.sql at the top of the repository holds for a table called
// "sessions".
func Schema(d Dialect, table string) ([]string, error) {
	if !d.valid() {
		return nil, fmt.Errorf("dbstore: unknown dialect %v", d)
	}
	if err := checkTable(table); err != nil {
		return nil, err
	}
	t, l, ix := d.quote(table), d.quote(table+"_lock"), d.quote(table+"_deadline")
	switch d {
	case SQLite:
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
    session_key TEXT NOT NULL PRIMARY KEY,
    data        BLOB NOT NULL,
    deadline    TEXT NOT NULL
)`,
			`CREATE INDEX IF NOT EXISTS ` + ix + ` ON ` + t + ` (deadline)`,
			`CREATE TABLE IF NOT EXISTS ` + l + ` (
    session_key TEXT NOT NULL PRIMARY KEY,
    token       TEXT NOT NULL,
    lease_until TEXT NOT NULL
)`,
		}, nil
	case PostgreSQL:
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
    session_key VARCHAR(64) PRIMARY KEY,
    data        BYTEA NOT NULL,
    deadline    TIMESTAMPTZ NOT NULL
)`,
			`CREATE INDEX IF NOT EXISTS ` + ix + ` ON ` + t + ` (deadline)`,
			`CREATE TABLE IF NOT EXISTS ` + l + ` (
    session_key VARCHAR(64) PRIMARY KEY,
    token       VARCHAR(32) NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
)`,
		}, nil
	default: // MySQL
		return []string{
			`CREATE TABLE IF NOT EXISTS ` + t + ` (
    session_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    data        MEDIUMBLOB NOT NULL,
    deadline    DATETIME(6) NOT NULL,
    INDEX ` + ix + ` (deadline)
) ENGINE=InnoDB`,
			`CREATE TABLE IF NOT EXISTS ` + l + ` (
    session_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    token       CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    lease_until DATETIME(6) NOT NULL
) ENGINE=InnoDB`,
		}, nil
	}
}

// queries are the statements of one store, built once by New. Each does
// its work in one round trip.
type queries struct {
	check     string // the table exists and has the columns used
	checkLock string // so does the lock table
	load      string // data and deadline of an unexpired key
	create    string // upsert
	update    string // update an unexpired key
	touch     string // move the deadline of an unexpired key
	exists    string // is an unexpired key there (see Store.confirm, Store.confirmDelete)
	delete    string
	cleanup   string // one batch of expired keys

	// Under a lease: update, touch and delete, only while the lease's
	// token holds the key's lock; and, when an update or a touch changes
	// nothing, which of the two is missing (see Store.confirmFenced).
	updateFenced string
	touchFenced  string
	deleteFenced string
	fenceCheck   string

	keyInsert string // keep a generated secret key unless one is kept
	keyLoad   string // the kept secret key

	lockAcquire string // take a free or expired lease
	lockSteal   string // MySQL: remove an expired lease
	lockRenew   string
	lockRelease string
	lockCleanup string
}

func buildQueries(d Dialect, table string) queries {
	t, l := d.quote(table), d.quote(table+"_lock")
	deadline := "deadline"
	if d == MySQL {
		// A string, so that neither the DSN's loc nor parseTime can shift it.
		deadline = "CAST(deadline AS CHAR)"
	}
	// The fence: the lease row still has the writer's token. The lock row
	// is read with a shared lock, so that a takeover (which writes that
	// row) waits for the write to commit, and the new holder then reads
	// the data written. Without it, a takeover and the new holder's read
	// can slip in between the check and the commit, and the write is
	// lost: PostgreSQL's subquery reads the statement's snapshot, and
	// InnoDB locks the rows an UPDATE's subquery reads only under
	// REPEATABLE READ (TestFenceHoldsOffATakeover). SQLite runs one
	// writer at a time, so the statement is atomic there.
	fence := ` AND EXISTS (SELECT 1 FROM ` + l + ` WHERE session_key = ? AND token = ?`
	switch d {
	case PostgreSQL:
		fence += ` FOR SHARE)`
	case MySQL:
		fence += ` LOCK IN SHARE MODE)` // MariaDB has no FOR SHARE
	default:
		fence += `)`
	}
	q := queries{
		check:       `SELECT session_key, data, deadline FROM ` + t + ` WHERE 1 = 0`,
		checkLock:   `SELECT session_key, token, lease_until FROM ` + l + ` WHERE 1 = 0`,
		load:        `SELECT data, ` + deadline + ` FROM ` + t + ` WHERE session_key = ? AND deadline > ?`,
		update:      `UPDATE ` + t + ` SET data = ?, deadline = ? WHERE session_key = ? AND deadline > ?`,
		touch:       `UPDATE ` + t + ` SET deadline = ? WHERE session_key = ? AND deadline > ?`,
		exists:      `SELECT 1 FROM ` + t + ` WHERE session_key = ? AND deadline > ?`,
		delete:      `DELETE FROM ` + t + ` WHERE session_key = ?`,
		lockRenew:   `UPDATE ` + l + ` SET lease_until = ? WHERE session_key = ? AND token = ?`,
		lockRelease: `DELETE FROM ` + l + ` WHERE session_key = ? AND token = ?`,
		lockCleanup: `DELETE FROM ` + l + ` WHERE lease_until <= ?`,
		keyLoad:     `SELECT data FROM ` + t + ` WHERE session_key = ?`,
	}
	switch d {
	case MySQL:
		q.create = `INSERT INTO ` + t + ` (session_key, data, deadline) VALUES (?, ?, ?)
ON DUPLICATE KEY UPDATE data = VALUES(data), deadline = VALUES(deadline)`
		// DELETE ... LIMIT walks the deadline index; MySQL refuses a
		// subquery on the table being deleted from.
		q.cleanup = `DELETE FROM ` + t + ` WHERE deadline <= ? ORDER BY deadline LIMIT ?`
		// ON DUPLICATE KEY UPDATE counts an unchanged row as 0 or 1
		// depending on clientFoundRows, so the lease is taken in two
		// steps: insert if absent, else remove it if expired and retry.
		q.lockAcquire = `INSERT IGNORE INTO ` + l + ` (session_key, token, lease_until) VALUES (?, ?, ?)`
		q.keyInsert = `INSERT IGNORE INTO ` + t + ` (session_key, data, deadline) VALUES (?, ?, ?)`
		q.lockSteal = `DELETE FROM ` + l + ` WHERE session_key = ? AND lease_until <= ?`
	default:
		q.create = `INSERT INTO ` + t + ` (session_key, data, deadline) VALUES (?, ?, ?)
ON CONFLICT (session_key) DO UPDATE SET data = excluded.data, deadline = excluded.deadline`
		q.keyInsert = `INSERT INTO ` + t + ` (session_key, data, deadline) VALUES (?, ?, ?) ON CONFLICT (session_key) DO NOTHING`
		if d == SQLite {
			// The deadline index covers the rowids; one statement is
			// atomic in SQLite, so no row can change in between.
			q.cleanup = `DELETE FROM ` + t + ` WHERE rowid IN (SELECT rowid FROM ` + t +
				` WHERE deadline <= ? ORDER BY deadline LIMIT ?)`
		} else {
			// SKIP LOCKED: two instances cleaning at once take different
			// rows. The outer condition is checked again on rows that
			// changed since the subquery read them.
			q.cleanup = `DELETE FROM ` + t + ` WHERE session_key IN (SELECT session_key FROM ` + t +
				` WHERE deadline <= ? ORDER BY deadline LIMIT ? FOR UPDATE SKIP LOCKED) AND deadline <= ?`
		}
		// One statement: insert, or take over a lease that has run out.
		// A lease still held matches nothing: 0 rows affected.
		q.lockAcquire = `INSERT INTO ` + l + ` (session_key, token, lease_until) VALUES (?, ?, ?)
ON CONFLICT (session_key) DO UPDATE SET token = excluded.token, lease_until = excluded.lease_until
WHERE ` + l + `.lease_until <= ?`
	}
	q.updateFenced = q.update + fence
	q.touchFenced = q.touch + fence
	// Its subquery reads the lock table, not the one deleted from, which
	// MySQL allows.
	q.deleteFenced = q.delete + fence
	q.fenceCheck = `SELECT (SELECT COUNT(*) FROM ` + t + ` WHERE session_key = ? AND deadline > ?), ` +
		`(SELECT COUNT(*) FROM ` + l + ` WHERE session_key = ? AND token = ?)`
	if d == PostgreSQL {
		for _, p := range []*string{&q.check, &q.load, &q.create, &q.update, &q.touch, &q.exists, &q.delete,
			&q.updateFenced, &q.touchFenced, &q.deleteFenced, &q.fenceCheck,
			&q.cleanup, &q.keyInsert, &q.keyLoad, &q.lockAcquire, &q.lockSteal, &q.lockRenew, &q.lockRelease, &q.lockCleanup} {
			*p = numberPlaceholders(*p)
		}
	}
	return q
}

// numberPlaceholders turns ? into $1, $2, ... for PostgreSQL. The
// statements above hold no other question mark.
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Times are kept in UTC. PostgreSQL gets a time.Time for its TIMESTAMPTZ
// columns, an absolute instant whatever the session's TimeZone. SQLite and
// MySQL get the UTC wall time as fixed-width text, which sorts as the
// times do, is what SQLite's date functions take for UTC, and goes into a
// MySQL DATETIME untouched by the driver's loc setting or the session's
// time_zone.
const timeLayout = "2006-01-02 15:04:05.000000"

// timeArg returns t as the dialect stores it, in microseconds, within
// the years 1 to 9999 that every dialect can hold.
func (d Dialect) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if y := t.Year(); y < 1 {
		t = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	} else if y > 9999 {
		t = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	}
	if d == PostgreSQL {
		return t
	}
	return t.Format(timeLayout)
}

// dbTime scans a deadline in any form a driver may hand it back.
type dbTime struct{ t time.Time }

// Scan implements sql.Scanner.
func (dt *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		dt.t = x.UTC()
		return nil
	case string:
		return dt.parse(x)
	case []byte:
		return dt.parse(string(x))
	}
	return fmt.Errorf("%w: cannot read a deadline from %T", session.ErrCorrupt, v)
}

func (dt *dbTime) parse(s string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			dt.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("%w: cannot read the deadline %.40q", session.ErrCorrupt, s)
}
