// Package dbstore keeps sessions in an SQL database through database/sql,
// like web.py's DBStore(db, "sessions"): SQLite by default, PostgreSQL and
// MySQL/MariaDB when an application grows to several instances.
//
//	db, err := dbstore.OpenSQLite("sessions.db") // WAL, busy timeout, one writer
//	store, err := dbstore.New(db, "sessions", dbstore.WithCreateTable())
//	sessions, err := session.New(store, session.Config{})
//
// # The table
//
// One row per session: session_key, the SHA-256 of the session id (the
// id itself is never stored, so a copy of the table hands out no live
// session), data, the session's JSON, and deadline, the moment the
// session expires if it stays idle, in UTC. An index on deadline keeps
// the cleanup cheap. schema.sql at the top of the repository is the DDL
// to run by hand; WithCreateTable runs the same statements (see Schema).
// The table <name>_lock holds the leases of Locking and stays empty
// otherwise.
//
// # Statements
//
// Each operation is one statement: Load is a SELECT that checks the
// deadline in SQL; Save(Create) is an upsert; Save(Update) is an UPDATE
// of a row whose deadline has not passed, so a session killed meanwhile
// is never brought back; Touch moves the deadline without rewriting the
// data; Cleanup deletes expired rows in batches. So a request that
// changes an existing session costs two statements (web.py's DBStore
// runs five), one that only reads it costs one, and one that does not use
// its session costs none. On SQLite, whose single writer spends most of a
// write on its commit, the writes of concurrent requests that queue up
// while another commits are run together in one transaction (group
// commit); each still gets its own result.
//
// All values are parameters; the table name is checked to be a plain
// identifier and every key with session.CheckKey before any query is
// built.
//
// # Time
//
// Deadlines are UTC and the current time comes from the application, not
// from the database's NOW(), so neither the server's nor the database
// session's time zone can move a deadline (web.py mixed local time and
// UTC and lost rows on MySQL, its issue #323). PostgreSQL stores a
// TIMESTAMPTZ; MySQL a DATETIME(6) holding the UTC wall time; SQLite the
// text "2006-01-02 15:04:05.000000", UTC, which sorts like the times and
// which SQLite's date functions read as UTC. Several instances should run
// NTP, as for any shared deadline.
//
// # Across processes
//
// Several instances must sign cookies with the same key (SECRET_KEY, or
// session.Config.SecretKeys): a generated key file belongs to one machine.
// The session package keeps the concurrent requests of one session in
// order within one process. Locking returns the store with
// session.Locker, which extends that to every process sharing the
// database, with a lease in the <name>_lock table:
//
//   - Lock inserts (key, random token, end of the lease), or takes over a
//     row whose lease has run out, in one statement; a row still leased
//     means another process holds the session, and Lock polls with a
//     backoff of 2 to 50 ms until it is free or its context ends (an
//     error wrapping session.ErrLockTimeout: the Manager's 503 "session
//     busy"; a database that does not answer is a store failure instead).
//     Unlock deletes the row if the token is still its own. While held,
//     the lease is renewed every third of its length, so a slow request
//     keeps it; a crashed process's lease runs out by itself
//     (WithLockLease, default 10 s).
//   - A lock statement that gets no answer may still run: one sent while
//     the database hangs runs when it wakes up. So the lease it asks for
//     ends a tenth of a lease after the attempt's deadline (the first
//     renewal extends it to a full lease), and its token is deleted once
//     the database answers again, in the background or by the next Lock
//     of that session in this process; an unlock that gets no answer is
//     delivered so too. A hang therefore leaves no session locked for
//     longer than that tenth of a lease, and usually not at all.
//   - Why not PostgreSQL advisory locks or MySQL GET_LOCK: both belong to
//     one connection, so each held lock would pin a connection of the
//     pool for the whole request (a pool of n connections then deadlocks
//     at n concurrent sessions), neither exists in SQLite, and they vanish
//     silently when a pooled connection is recycled. The lease row works
//     the same on the three dialects, holds no connection while waiting,
//     survives connection loss, and can be inspected with a SELECT.
//   - Writes are fenced. A holder frozen for longer than the lease (a
//     stopped process, a network that dropped its renewals) loses it, and
//     another process may take the lock, read and write the session. The
//     Manager makes its writes under a lease with the lease's token
//     (session.WithLease), and the UPDATE of Save(Update) and Touch then
//     also requires, in its WHERE, that the lock row still has that token:
//     the frozen holder's late write changes nothing and returns an error
//     wrapping session.ErrFenced (the Manager answers 503 and logs it). A
//     lease that ran out but that nobody took over keeps its row and
//     token, so its holder's late write goes through: nobody else wrote.
//     The fenced UPDATE replaces the plain one, so it costs no statement;
//     only a write that changes nothing runs one SELECT to tell a session
//     that is gone (ErrNotFound) from a lock taken over (ErrFenced).
//   - The price is two statements per request that loads a session (take
//     and give back the lease), plus the polls while another process holds
//     it; requests of one session queued in one process pass the lease
//     (and the saved data) along instead, for up to 50 ms.
//
// # Drivers
//
// The dialect is told by the type of db.Driver(): *sqlite3.SQLiteDriver
// (github.com/mattn/go-sqlite3), *stdlib.Driver (github.com/jackc/pgx/v5/stdlib),
// *mysql.MySQLDriver (github.com/go-sql-driver/mysql), and also
// modernc.org/sqlite and github.com/lib/pq. A wrapped driver needs
// WithDialect. dbstore imports only go-sqlite3, for OpenSQLite; import
// the PostgreSQL or MySQL driver in the application. MySQL DSNs need no
// parseTime, loc or clientFoundRows setting: dbstore reads deadlines as
// text and handles either way of counting unchanged rows.
//
// Both pgx and go-sql-driver/mysql give a statement up at its context's
// deadline, handshake included, even when the server hangs, and close the
// connection, so every operation returns by its deadline. Give the pool a
// limit (db.SetMaxOpenConns): without one, each request to a database
// that hangs opens another connection until the server refuses them all,
// other clients included; with one, requests beyond it wait in the pool,
// until their deadline.
package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gowebpy/web/internal/release"
	"github.com/gowebpy/web/session"
)

// Defaults of the options.
const (
	DefaultCleanupBatch = 1000
	DefaultCleanupPause = 10 * time.Millisecond
	DefaultLockLease    = 10 * time.Second
)

// Store is a session.Store and session.Toucher over a table of an SQL
// database. It is safe for concurrent use, by several processes too.
type Store struct {
	db      *sql.DB
	dialect Dialect
	table   string
	q       queries
	batch   int
	pause   time.Duration
	lease   time.Duration
	now     func() time.Time

	mu    sync.Mutex
	stmts map[string]*sql.Stmt

	writes *batcher // SQLite: group commit of Save, Touch and Delete

	releases *release.Queue // of Locking: the lease releases that got no answer
}

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

// New returns a Store keeping sessions in table, which must exist (see
// schema.sql) unless WithCreateTable is given. It checks the table with
// one query, so the database must be reachable.
func New(db *sql.DB, table string, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("dbstore: New needs a *sql.DB")
	}
	if err := checkTable(table); err != nil {
		return nil, err
	}
	o := options{batch: DefaultCleanupBatch, pause: DefaultCleanupPause, lease: DefaultLockLease}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.check(db); err != nil {
		return nil, err
	}
	s := &Store{
		db:      db,
		dialect: o.dialect,
		table:   table,
		q:       buildQueries(o.dialect, table),
		batch:   o.batch,
		pause:   o.pause,
		lease:   o.lease,
		now:     time.Now,
		stmts:   make(map[string]*sql.Stmt),

		releases: release.New(releaseTimeout, nil),
	}
	if o.dialect == SQLite {
		s.writes = &batcher{db: db}
	}
	if err := s.setUp(o.create); err != nil {
		return nil, err
	}
	return s, nil
}

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

// setUp creates the tables if create is set, and checks that they are
// there with the columns the queries use.
func (s *Store) setUp(create bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if create {
		ddl, _ := Schema(s.dialect, s.table) // checked by New
		for _, stmt := range ddl {
			if _, err := s.db.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("dbstore: creating table %s: %w", s.table, err)
			}
		}
	}
	for _, q := range []string{s.q.check, s.q.checkLock} {
		rows, err := s.db.QueryContext(ctx, q)
		if err == nil {
			err = rows.Close()
		}
		if err != nil {
			return fmt.Errorf("dbstore: table %s or %s_lock is missing or lacks a column (create them with schema.sql or pass dbstore.WithCreateTable): %w", s.table, s.table, err)
		}
	}
	return nil
}

// Dialect returns the store's SQL dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Table returns the name of the store's table.
func (s *Store) Table() string { return s.table }

// Close releases the store's prepared statements. The *sql.DB stays open:
// it is the caller's to close.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for q, st := range s.stmts {
		errs = append(errs, st.Close())
		delete(s.stmts, q)
	}
	return errors.Join(errs...)
}

// stmt returns query prepared, preparing it on first use. A statement that
// fails to prepare (the database is down) is tried again next time.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	st := s.stmts[query]
	s.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.stmts[query]; old != nil {
		st.Close() // another goroutine won the race
		return old, nil
	}
	s.stmts[query] = st
	return st, nil
}

// exec runs a statement and returns how many rows it affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// write runs a statement that changes a session, on SQLite in the next
// batch of writes (see batcher), and returns how many rows it affected.
func (s *Store) write(ctx context.Context, query string, args ...any) (int64, error) {
	if s.writes == nil {
		return s.exec(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	return s.writes.exec(ctx, st, args)
}

func (s *Store) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

func (s *Store) t(t time.Time) any { return s.dialect.timeArg(t) }

// Load implements session.Store with one SELECT that checks the deadline.
func (s *Store) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	if err := session.CheckKey(key); err != nil {
		return nil, time.Time{}, false, err
	}
	var data []byte
	var deadline dbTime
	err := s.queryRow(ctx, s.q.load, []any{key, s.t(s.now())}, &data, &deadline)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, time.Time{}, false, nil
	case errors.Is(err, session.ErrCorrupt):
		return nil, time.Time{}, false, fmt.Errorf("dbstore: load: %w", err)
	case err != nil:
		return nil, time.Time{}, false, fmt.Errorf("dbstore: load from %s: %w", s.table, err)
	}
	return data, deadline.t, true, nil
}

// Save implements session.Store: an upsert for Create, an UPDATE of an
// unexpired row for Update.
func (s *Store) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode) error {
	return s.save(ctx, key, data, deadline, mode, "")
}

// save is Save, under the lease whose token is token when it is not
// empty: then an Update writes only while token holds the key's lock.
func (s *Store) save(ctx context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode, token string) error {
	if err := session.CheckKey(key); err != nil {
		return err
	}
	if data == nil {
		data = []byte{}
	}
	switch mode {
	case session.Create:
		if _, err := s.write(ctx, s.q.create, key, data, s.t(deadline)); err != nil {
			return fmt.Errorf("dbstore: save to %s: %w", s.table, err)
		}
		return nil
	case session.Update:
		now := s.now()
		query, args := s.q.update, []any{data, s.t(deadline), key, s.t(now)}
		if token != "" {
			query, args = s.q.updateFenced, append(args, key, token)
		}
		n, err := s.write(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("dbstore: save to %s: %w", s.table, err)
		}
		if n == 0 {
			return s.confirm(ctx, "save to", key, now, token)
		}
		return nil
	}
	return fmt.Errorf("dbstore: save: unknown mode %v", mode)
}

// Touch implements session.Toucher: it moves the deadline of an
// unexpired row and leaves its data alone.
func (s *Store) Touch(ctx context.Context, key string, deadline time.Time) error {
	return s.touch(ctx, key, deadline, "")
}

// touch is Touch, under the lease whose token is token when it is not
// empty.
func (s *Store) touch(ctx context.Context, key string, deadline time.Time, token string) error {
	if err := session.CheckKey(key); err != nil {
		return err
	}
	now := s.now()
	query, args := s.q.touch, []any{s.t(deadline), key, s.t(now)}
	if token != "" {
		query, args = s.q.touchFenced, append(args, key, token)
	}
	n, err := s.write(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("dbstore: touch in %s: %w", s.table, err)
	}
	if n == 0 {
		return s.confirm(ctx, "touch in", key, now, token)
	}
	return nil
}

// confirm decides what an UPDATE that affected no row means; op names
// the write for the error. Everywhere but MySQL, the row is missing or
// expired, or, under a lease, token no longer holds the lock (see
// confirmFenced). MySQL counts a row it matched but left unchanged as
// unaffected, unless the DSN sets clientFoundRows; so there, and only
// when the count is 0, one SELECT tells the two apart.
func (s *Store) confirm(ctx context.Context, op, key string, now time.Time, token string) error {
	if token != "" {
		return s.confirmFenced(ctx, op, key, now, token)
	}
	if s.dialect != MySQL {
		return session.ErrNotFound
	}
	var one int
	err := s.queryRow(ctx, s.q.exists, []any{key, s.t(now)}, &one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return session.ErrNotFound
	case err != nil:
		return fmt.Errorf("dbstore: %s %s: %w", op, s.table, err)
	}
	return nil
}

// confirmFenced decides what a fenced UPDATE that affected no row means,
// with one SELECT, run only then: a session that is missing or expired
// is ErrNotFound, as without a lease (the session is gone, whoever holds
// its lock); otherwise the lease's row no longer has token (another
// holder took the lease after it ran out, and may have given it back
// since), which is ErrFenced. On MySQL both there means a row matched but left unchanged.
func (s *Store) confirmFenced(ctx context.Context, op, key string, now time.Time, token string) error {
	var sessions, held int64
	err := s.queryRow(ctx, s.q.fenceCheck, []any{key, s.t(now), key, token}, &sessions, &held)
	switch {
	case err != nil:
		return fmt.Errorf("dbstore: %s %s: %w", op, s.table, err)
	case sessions == 0:
		return session.ErrNotFound
	case held == 0:
		return fmt.Errorf("dbstore: %s %s: %w", op, s.table, session.ErrFenced)
	case s.dialect != MySQL:
		// Both are there now, yet the UPDATE matched nothing: the rows
		// changed between the two statements. The write was not made,
		// so it is not reported done.
		return fmt.Errorf("dbstore: %s %s: %w", op, s.table, session.ErrFenced)
	}
	return nil
}

// sharedKeyRow is the row that keeps a generated secret key. It is not a
// store key (those are 64 hex digits), so no session can collide with it,
// and its deadline is the end of time, so the cleanup leaves it alone.
const sharedKeyRow = "secret-key"

var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// SharedKey implements session.KeyKeeper: when no secret key is
// configured, every instance sharing the database signs cookies with the
// key kept in the row "secret-key" of the table, instead of each keeping
// its own and refusing the others' cookies. The first instance's
// generated key is kept; the others read it.
func (s *Store) SharedKey(ctx context.Context, generated string) (string, error) {
	if _, err := s.exec(ctx, s.q.keyInsert, sharedKeyRow, []byte(generated), s.t(endOfTime)); err != nil {
		return "", fmt.Errorf("dbstore: keeping the secret key: %w", err)
	}
	var key []byte
	if err := s.queryRow(ctx, s.q.keyLoad, []any{sharedKeyRow}, &key); err != nil {
		return "", fmt.Errorf("dbstore: reading the secret key: %w", err)
	}
	return string(key), nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := session.CheckKey(key); err != nil {
		return err
	}
	if _, err := s.write(ctx, s.q.delete, key); err != nil {
		return fmt.Errorf("dbstore: delete from %s: %w", s.table, err)
	}
	return nil
}

// Cleanup implements session.Store. It deletes the rows whose deadline is
// not after now, a batch at a time through the deadline index, pausing
// between batches and stopping when ctx is done, so that a million expired
// sessions are removed without holding up requests.
func (s *Store) Cleanup(ctx context.Context, now time.Time) (int, error) {
	args := []any{s.t(now), s.batch}
	if s.dialect == PostgreSQL {
		args = append(args, s.t(now))
	}
	removed := 0
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		n, err := s.exec(ctx, s.q.cleanup, args...)
		if err != nil {
			return removed, fmt.Errorf("dbstore: cleanup of %s: %w", s.table, err)
		}
		removed += int(n)
		if n < int64(s.batch) {
			return removed, nil
		}
		if s.pause > 0 {
			t := time.NewTimer(s.pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return removed, ctx.Err()
			case <-t.C:
			}
		}
	}
}

var (
	_ session.Store   = (*Store)(nil)
	_ session.Toucher = (*Store)(nil)
	_ session.Locker  = (*LockingStore)(nil)
)
