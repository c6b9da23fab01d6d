package dbstore

import (
	"context"
	"fmt"
	"time"
)

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
