// Package redisstore keeps sessions in Redis, for applications whose
// instances share one Redis server.
//
// Each session is one string key, "session:" followed by the store key
// (the SHA-256 of the session id), holding the session's JSON, so
//
//	redis-cli --scan --pattern 'session:*'
//	redis-cli GET session:<key>
//
// show it. Redis's own key expiry is the session's deadline: Save sets it
// with PXAT and Touch moves it with PEXPIREAT, so expired sessions vanish
// without a cleanup. Every operation is one round trip; Load pipelines GET
// and PEXPIRETIME and therefore needs Redis 7.0 or later.
//
// Locking returns the store with a session.Locker: a lease key,
// "session:lock:{session:<key>}" (its hash tag keeps it in the session
// key's Redis Cluster slot), set with SET NX PX to a random token, renewed
// while it is held and released by a script that deletes it only for its
// owner, so that instances sharing the server lose no update of a session
// either. The lease expires by itself if its holder dies. A lock attempt
// that gets no answer is cancelled once Redis answers again, so a request
// that reaches Redis late (sent while it hung) takes no lease nobody
// holds; an unlock that gets no answer is delivered then too.
//
// Writes are fenced: the Manager's writes under a lease carry its token
// (session.WithLease), and Save(Update), Touch and Delete then run as one
// script that writes only if the lease key still has that token. A
// holder frozen past its lease, while another instance took the lock,
// gets an error wrapping session.ErrFenced instead of overwriting the
// other's writes, or deleting them with a late Kill or RenewID. In Redis
// a lease that ran out is gone, so its holder's late write is refused
// even when nobody took the lock meanwhile.
//
// # Client options
//
// go-redis ignores a context's deadline unless the client is made with
// ContextTimeoutEnabled: true; without it, each request to a Redis that
// hangs waits for the client's ReadTimeout (5 s by default) whatever the
// deadline. So give the client
//
//	redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: 20})
//
// and a PoolSize that bounds the connections one instance opens: requests
// beyond it wait for a connection of the pool, until their deadline.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/internal/release"
	"github.com/gowebpy/web/session"
)

// Store is a session.Store, session.Toucher and session.KeyKeeper over a
// Redis client. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
	lease  time.Duration

	releases *release.Queue // of Locking: the lock attempts to cancel, the unlocks to deliver
}

// Option configures New.
type Option func(*Store)

// WithPrefix sets the prefix of the store's keys. Default "session:".
func WithPrefix(p string) Option { return func(s *Store) { s.prefix = p } }

// WithLockLease sets how long a lock of Locking lasts without renewal: a
// holder that dies blocks its session for at most this long. Default 10s.
func WithLockLease(d time.Duration) Option { return func(s *Store) { s.lease = d } }

// New returns a Store over client, such as
// redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}).
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	// A closed client delivers nothing any more: its queue is dropped.
	closed := func(err error) bool { return errors.Is(err, redis.ErrClosed) }
	s := &Store{client: client, prefix: "session:", lease: 10 * time.Second, releases: release.New(releaseTimeout, closed)}
	for _, o := range opts {
		o(s)
	}
	if s.lease < 100*time.Millisecond {
		return nil, fmt.Errorf("redisstore: lock lease %v is too short", s.lease)
	}
	return s, nil
}

func (s *Store) key(key string) (string, error) {
	if err := session.CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Load implements session.Store: GET and PEXPIRETIME in one round trip.
func (s *Store) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	k, err := s.key(key)
	if err != nil {
		return nil, time.Time{}, false, err
	}
	var get *redis.StringCmd
	var exp *redis.DurationCmd
	_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k)
		exp = p.PExpireTime(ctx, k)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, time.Time{}, false, fmt.Errorf("redisstore: load: %w", err)
	}
	data, _ := get.Bytes()
	ms := exp.Val()
	if ms < 0 { // -1: no expiry (not written by this store); -2: gone meanwhile
		return nil, time.Time{}, false, nil
	}
	deadline := time.UnixMilli(int64(ms / time.Millisecond))
	if !deadline.After(time.Now()) {
		return nil, time.Time{}, false, nil
	}
	return data, deadline, true, nil
}

// Save implements session.Store: SET with PXAT, and XX for Update, so that
// a session deleted meanwhile is not written again.
func (s *Store) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if !deadline.After(time.Now()) {
		// Already expired: what Redis would do with it a moment later.
		if mode == session.Update {
			return session.ErrNotFound
		}
		return s.Delete(ctx, key)
	}
	args := redis.SetArgs{ExpireAt: deadline}
	if mode == session.Update {
		args.Mode = "XX"
	}
	err = s.client.SetArgs(ctx, k, data, args).Err()
	if errors.Is(err, redis.Nil) {
		return session.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("redisstore: save: %w", err)
	}
	return nil
}

// Touch implements session.Toucher with PEXPIREAT.
func (s *Store) Touch(ctx context.Context, key string, deadline time.Time) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	ok, err := s.client.PExpireAt(ctx, k, deadline).Result()
	if err != nil {
		return fmt.Errorf("redisstore: touch: %w", err)
	}
	if !ok {
		return session.ErrNotFound
	}
	return nil
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	k, err := s.key(key)
	if err != nil {
		return err
	}
	if err := s.client.Del(ctx, k).Err(); err != nil {
		return fmt.Errorf("redisstore: delete: %w", err)
	}
	return nil
}

// Cleanup implements session.Store. Redis expires sessions by itself, so
// there is nothing to do.
func (s *Store) Cleanup(context.Context, time.Time) (int, error) { return 0, nil }

// SelfCleaning implements session.SelfCleaning.
func (s *Store) SelfCleaning() {}

// SharedKey implements session.KeyKeeper: the generated secret key is kept
// under "session:secret-key" (SET NX), so that every instance sharing the
// server signs with the same key when none is configured.
func (s *Store) SharedKey(ctx context.Context, generated string) (string, error) {
	k := s.prefix + "secret-key"
	if err := s.client.SetNX(ctx, k, generated, 0).Err(); err != nil {
		return "", fmt.Errorf("redisstore: keeping the secret key: %w", err)
	}
	key, err := s.client.Get(ctx, k).Result()
	if err != nil {
		return "", fmt.Errorf("redisstore: reading the secret key: %w", err)
	}
	return key, nil
}
