package dbstore

import (
	"database/sql"
	"fmt"
	"time"
)

// Option configures New.
type Option func(*options)

type options struct {
	dialect Dialect
	create  bool
	batch   int
	pause   time.Duration
	lease   time.Duration
}

// WithDialect names the SQL dialect instead of detecting it from the
// driver, for drivers wrapped by tracing or metrics packages.
func WithDialect(d Dialect) Option { return func(o *options) { o.dialect = d } }

// WithCreateTable creates the table, its index and its lock table if they
// are missing, with the statements of Schema (those of schema.sql).
func WithCreateTable() Option { return func(o *options) { o.create = true } }

// WithCleanupBatch sets how many expired rows one statement of Cleanup
// deletes (default 1000) and how long it pauses between two batches
// (default 10 ms), so that a large cleanup leaves room for requests.
func WithCleanupBatch(size int, pause time.Duration) Option {
	return func(o *options) { o.batch, o.pause = size, pause }
}

// WithLockLease sets how long a lock of Locking lasts without renewal:
// how long the sessions of a process that crashed while holding them stay
// locked. Default 10 seconds; held locks are renewed every third of it.
func WithLockLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// check validates the options, and detects the dialect if none is given.
func (o *options) check(db *sql.DB) error {
	if o.batch <= 0 || o.pause < 0 {
		return fmt.Errorf("dbstore: cleanup batch %d and pause %v: the batch must be positive and the pause not negative", o.batch, o.pause)
	}
	if o.lease < time.Second {
		return fmt.Errorf("dbstore: lock lease %v is shorter than a second", o.lease)
	}
	if o.dialect == 0 {
		d, ok := detectDialect(db.Driver())
		if !ok {
			return fmt.Errorf("dbstore: cannot tell the SQL dialect of driver %T; pass dbstore.WithDialect", db.Driver())
		}
		o.dialect = d
	}
	if !o.dialect.valid() {
		return fmt.Errorf("dbstore: unknown dialect %v", o.dialect)
	}
	return nil
}
