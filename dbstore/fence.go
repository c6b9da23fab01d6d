package dbstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpy/web/session"
)

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

// confirmDelete decides what a fenced DELETE that removed no row means,
// with one SELECT, run only then: a session that is missing or expired
// was gone already, which is no error, as without a lease; otherwise the
// lease's row no longer has token, and the DELETE was refused, which is
// ErrFenced. (A DELETE counts the rows it removed on MySQL too: there is
// no row matched but left unchanged.)
func (s *Store) confirmDelete(ctx context.Context, key string) error {
	var one int
	err := s.queryRow(ctx, s.q.exists, []any{key, s.t(s.now())}, &one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("dbstore: delete from %s: %w", s.table, err)
	}
	return fmt.Errorf("dbstore: delete from %s: %w", s.table, session.ErrFenced)
}
