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
// Locking returns the store with a session.Locker: a lease key set with
// SET NX PX, renewed while it is held and released by a script that
// deletes it only for its owner, so that instances sharing the server lose
// no update of a session either. The lease expires by itself if its holder
// dies.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/session"
)

// Store is a session.Store, session.Toucher and session.KeyKeeper over a
// Redis client. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	prefix string
	lease  time.Duration
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
	s := &Store{client: client, prefix: "session:", lease: 10 * time.Second}
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

// LockingStore is a Store that also implements session.Locker.
type LockingStore struct {
	*Store
}

// Locking returns s with session.Locker. Give it to session.New when
// several instances serve the same sessions:
//
//	sessions, err := session.New(store.Locking(), cfg)
//
// Each request that uses its session then costs two more round trips
// (take and release the lease).
func (s *Store) Locking() *LockingStore { return &LockingStore{s} }

// unlockScript deletes the lease only for the token that holds it.
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// renewScript extends the lease only for the token that holds it.
var renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// Lock implements session.Locker. It polls with a jittered backoff until
// it holds the lease of key or ctx is done.
func (l *LockingStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := session.CheckKey(key); err != nil {
		return nil, err
	}
	k := l.prefix + "lock:" + key
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("redisstore: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	wait := 2 * time.Millisecond
	for {
		ok, err := l.client.SetNX(ctx, k, token, l.lease).Result()
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("redisstore: lock: %w", cerr)
			}
			return nil, fmt.Errorf("redisstore: lock: %w", err)
		}
		if ok {
			return l.hold(k, token), nil
		}
		t := time.NewTimer(wait/2 + mathrand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("redisstore: lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// hold renews the lease every third of its length until it is released.
func (l *LockingStore) hold(k, token string) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n, err := renewScript.Run(context.Background(), l.client, []string{k}, token, l.lease.Milliseconds()).Int()
				if err == nil && n == 0 {
					return // the lease is gone; nothing left to renew
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = unlockScript.Run(ctx, l.client, []string{k}, token).Err() // an unreleased lease expires by itself
		})
	}
}
