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

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.delete(ctx, key, "")
}

// delete is Delete, under the lease whose token is token when it is not
// empty: then it deletes only while token holds the key's lock.
func (s *Store) delete(ctx context.Context, key, token string) error {
	if err := session.CheckKey(key); err != nil {
		return err
	}
	query, args := s.q.delete, []any{key}
	if token != "" {
		query, args = s.q.deleteFenced, append(args, key, token)
	}
	n, err := s.write(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("dbstore: delete from %s: %w", s.table, err)
	}
	if n == 0 && token != "" {
		return s.confirmDelete(ctx, key)
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
