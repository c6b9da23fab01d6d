package dbstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/gowebpy/web/session"
)

// LockingStore is a Store that also implements session.Locker with a lease
// in the <table>_lock table, so that several processes sharing the
// database lose no update of a session either (see the package doc).
type LockingStore struct {
	*Store
}

// Locking returns s with session.Locker. Give it to session.New when
// several processes serve the same sessions:
//
//	sessions, err := session.New(store.Locking(), cfg)
//
// It is a separate type because the session package finds the Locker by a
// type assertion; a Store alone costs no lock statements.
func (s *Store) Locking() *LockingStore { return &LockingStore{s} }

// Backoff of a Lock that waits for another process.
const (
	firstPoll = 2 * time.Millisecond
	maxPoll   = 50 * time.Millisecond
)

// Lock implements session.Locker. It waits until it holds the lease of
// key or ctx is done; the error then wraps ctx.Err().
func (l *LockingStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := session.CheckKey(key); err != nil {
		return nil, err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("dbstore: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	wait := firstPoll
	for {
		ok, err := l.tryLock(ctx, key, token)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("dbstore: lock: %w", cerr)
			}
			return nil, fmt.Errorf("dbstore: lock in %s_lock: %w", l.table, err)
		}
		if ok {
			return l.hold(key, token), nil
		}
		// Jitter keeps two waiting processes from polling in step.
		t := time.NewTimer(wait/2 + mathrand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("dbstore: lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(wait*3/2, maxPoll)
	}
}

// tryLock takes the lease of key if it is free or has run out.
func (l *LockingStore) tryLock(ctx context.Context, key, token string) (bool, error) {
	now := l.now()
	until := l.t(now.Add(l.lease))
	if l.dialect != MySQL {
		n, err := l.exec(ctx, l.q.lockAcquire, key, token, until, l.t(now))
		return n == 1, err
	}
	n, err := l.exec(ctx, l.q.lockAcquire, key, token, until)
	if err != nil || n == 1 {
		return n == 1, err
	}
	stolen, err := l.exec(ctx, l.q.lockSteal, key, l.t(now))
	if err != nil || stolen == 0 {
		return false, err
	}
	n, err = l.exec(ctx, l.q.lockAcquire, key, token, until)
	return n == 1, err
}

// lease is a lock held by this process.
type lease struct {
	l          *LockingStore
	key, token string

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
}

// hold starts renewing the lease and returns the function that gives it
// back.
func (l *LockingStore) hold(key, token string) func() {
	h := &lease{l: l, key: key, token: token}
	h.mu.Lock()
	h.timer = time.AfterFunc(l.lease/3, h.renew)
	h.mu.Unlock()
	var once sync.Once
	return func() { once.Do(h.release) }
}

// renew pushes the lease's end forward, then plans the next renewal. It
// holds h.mu, so release waits for a renewal in flight.
func (h *lease) renew() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	l := h.l
	ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
	defer cancel()
	n, err := l.exec(ctx, l.q.lockRenew, l.t(l.now().Add(l.lease)), h.key, h.token)
	if err == nil && n == 0 {
		return // the lease is gone (run out and taken over): nothing to keep
	}
	// A failure is not fatal: the lease lasts until its end, and the next
	// renewal tries again.
	h.timer.Reset(l.lease / 3)
}

// release deletes the lease if it is still ours. If the database cannot
// be reached, the lease runs out by itself.
func (h *lease) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.timer.Stop()
	l := h.l
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = l.exec(ctx, l.q.lockRelease, h.key, h.token)
}

// Cleanup implements session.Store: it also removes the leases that ran
// out, left by processes that crashed while holding them.
func (l *LockingStore) Cleanup(ctx context.Context, now time.Time) (int, error) {
	if _, err := l.exec(ctx, l.q.lockCleanup, l.t(now)); err != nil {
		return 0, fmt.Errorf("dbstore: cleanup of %s_lock: %w", l.table, err)
	}
	return l.Store.Cleanup(ctx, now)
}
