package dbstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mathrand "math/rand/v2"
	"sync"
	"time"

	"github.com/gowebpy/web/internal/deadline"
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

// Save implements session.Store. A Save(Update) made under a lease (a ctx
// with session.LeaseToken, as the Manager's writes under Lock are) writes
// only while the lease's token still holds the key's lock, checked by the
// UPDATE itself, and otherwise returns an error wrapping
// session.ErrFenced: a holder that stalled past its lease, while another
// process took the lock, cannot overwrite that process's writes. A lease
// that ran out but that nobody took over still has its row, and its
// holder's writes go through, since nobody else wrote meanwhile.
func (l *LockingStore) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode) error {
	token, _ := session.LeaseToken(ctx)
	return l.save(ctx, key, data, deadline, mode, token)
}

// Touch implements session.Toucher, fenced under a lease as Save is.
func (l *LockingStore) Touch(ctx context.Context, key string, deadline time.Time) error {
	token, _ := session.LeaseToken(ctx)
	return l.touch(ctx, key, deadline, token)
}

// Delete implements session.Store, fenced under a lease as Save is: the
// DELETE removes the row only while the lease's token holds the key's
// lock, so that a stalled holder's late Kill or RenewID cannot remove a
// session another process has written since; it then returns an error
// wrapping session.ErrFenced. A session that is gone already is no
// error, under a lease or not.
func (l *LockingStore) Delete(ctx context.Context, key string) error {
	token, _ := session.LeaseToken(ctx)
	return l.delete(ctx, key, token)
}

// Backoff of a Lock that waits for another process.
const (
	firstPoll = 2 * time.Millisecond
	maxPoll   = 50 * time.Millisecond
)

// releaseTimeout bounds an unlock and each later try to deliver one: a
// request's release must not wait for a database that hangs. A lease whose
// release got no answer is released later, in the background.
const releaseTimeout = time.Second

// How a lock attempt that gets no answer leaves no lease behind. A
// statement written to a connection while the database hangs runs when it
// wakes up, after the client gave up; it would take a lease nobody holds,
// and the session's requests would wait it out and fail. So an attempt
// has a deadline (its context's, and at most a lease), and the lease it
// asks for ends a grace after that deadline, not a full lease after it
// was sent: a statement that runs late leaves a lease of at most the
// grace. The first renewal then extends a lease taken so to the full
// length. And the attempt's token is released afterwards, once the
// database answers, so that even that much is usually spared; a Lock that
// finds the lease taken delivers the releases queued for it first.

// grace is how long a lease outlasts the deadline of the attempt that
// took it, before its first renewal: the longest a lock statement that
// runs late can lock its session. A tenth of the lease: 1 s by default.
func (l *LockingStore) grace() time.Duration { return l.lease / 10 }

// Lock implements session.Locker. It waits until it holds the lease of
// key or ctx is done. The lease's token is the random token of its row,
// which the writes made under it check (see Save). When ctx ends while
// another holder keeps the lease, the error wraps session.ErrLockTimeout
// and ctx.Err(); when the database does not answer, or fails, it does not
// wrap ErrLockTimeout.
func (l *LockingStore) Lock(ctx context.Context, key string) (session.Lease, error) {
	if err := session.CheckKey(key); err != nil {
		return session.Lease{}, err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return session.Lease{}, fmt.Errorf("dbstore: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	wait := firstPoll
	// held: an attempt got the answer that another holder has the lease.
	for held := false; ; held = true {
		ok, until, err := l.attempt(ctx, key, token)
		switch {
		case err != nil && held && deadline.Err(ctx) != nil:
			// The deadline cut an attempt short after the database had
			// answered that the lease is held: the caller waited for the
			// holder, and its last poll is no sign of a failing store.
			return session.Lease{}, l.busy(ctx)
		case err != nil:
			return session.Lease{}, err
		case ok:
			return session.Lease{Token: token, Release: l.hold(key, token, until)}, nil
		}
		if l.releases.Flush(ctx, key) {
			continue // a lease this process left behind is gone: try again at once
		}
		// Jitter keeps two waiting processes from polling in step.
		t := time.NewTimer(wait/2 + mathrand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return session.Lease{}, l.busy(ctx)
		case <-t.C:
		}
		wait = min(wait*3/2, maxPoll)
	}
}

// busy is the error of a Lock whose ctx ended while another holder kept
// the lease.
func (l *LockingStore) busy(ctx context.Context) error {
	return fmt.Errorf("dbstore: lock in %s_lock: %w: %w", l.table, session.ErrLockTimeout, deadline.Err(ctx))
}

// attempt tries once to take the lease of key, by the deadline of ctx and
// within a lease, and returns when the lease it asked for ends. When it
// gets no answer, it queues the release of token.
func (l *LockingStore) attempt(ctx context.Context, key, token string) (bool, time.Time, error) {
	by := time.Now().Add(l.lease) // the attempt's deadline
	if d, ok := ctx.Deadline(); ok && d.Before(by) {
		by = d
	}
	actx, cancel := context.WithDeadline(ctx, by)
	defer cancel()
	now := l.now()
	until := now.Add(min(time.Until(by)+l.grace(), l.lease))
	ok, err := l.tryLock(actx, key, token, now, until)
	if err == nil {
		return ok, until, nil
	}
	l.releaseLater(key, token, until.Sub(now)) // it may have run, or may yet
	switch cerr := deadline.Err(ctx); {
	case cerr != nil:
		return false, until, fmt.Errorf("dbstore: lock in %s_lock: no answer by the deadline: %w (%v)", l.table, cerr, err)
	case actx.Err() != nil:
		// The attempt's own deadline, not the caller's: the database did
		// not answer, which is no lock timeout.
		return false, until, fmt.Errorf("dbstore: lock in %s_lock: no answer within a lease (%v)", l.table, err)
	}
	return false, until, fmt.Errorf("dbstore: lock in %s_lock: %w", l.table, err)
}

// tryLock takes the lease of key until until if it is free or has run
// out.
func (l *LockingStore) tryLock(ctx context.Context, key, token string, now, until time.Time) (bool, error) {
	u := l.t(until)
	if l.dialect != MySQL {
		n, err := l.exec(ctx, l.q.lockAcquire, key, token, u, l.t(now))
		return n == 1, err
	}
	n, err := l.exec(ctx, l.q.lockAcquire, key, token, u)
	if err != nil || n == 1 {
		return n == 1, err
	}
	stolen, err := l.exec(ctx, l.q.lockSteal, key, l.t(now))
	if err != nil || stolen == 0 {
		return false, err
	}
	n, err = l.exec(ctx, l.q.lockAcquire, key, token, u)
	return n == 1, err
}

// releaseLater queues the release of token's lease of key, to be
// delivered once the database answers. After d it is useless: the lease,
// if the token holds one, has run out.
func (l *LockingStore) releaseLater(key, token string, d time.Duration) {
	l.releases.Add(key, time.Now().Add(d), func(ctx context.Context) (bool, error) {
		n, err := l.exec(ctx, l.q.lockRelease, key, token)
		return n > 0, err
	})
}

// lease is a lock held by this process.
type lease struct {
	l          *LockingStore
	key, token string

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool
	// until is the lease's end as far as this process knows: the end
	// asked for by the attempt that took it, then by the last renewal
	// that got an answer. A renewal that failed may have run, but cannot
	// be counted on.
	until time.Time
}

// hold starts renewing the lease, which ends at until, and returns the
// function that gives it back (the Lease's Release). The first renewal
// comes at a third of a lease, or halfway to until if that is sooner (a
// lease taken near the attempt's deadline; see retry).
func (l *LockingStore) hold(key, token string, until time.Time) func() {
	h := &lease{l: l, key: key, token: token, until: until}
	h.mu.Lock()
	h.timer = time.AfterFunc(h.retry(), h.renew)
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
	until := l.now().Add(l.lease)
	n, err := l.exec(ctx, l.q.lockRenew, l.t(until), h.key, h.token)
	switch {
	case err == nil && n == 0:
		return // the lease is gone (run out and taken over): nothing to keep
	case err == nil:
		h.until = until
		h.timer.Reset(l.lease / 3)
	default:
		// A failure is not fatal: the lease lasts until its end, and a
		// retry comes before that end.
		h.timer.Reset(h.retry())
	}
}

// minRetry is the shortest wait before a renewal, as a fraction of a
// lease (10 ms for a lease of 1 s): a database that fails every statement
// at once must not be retried in a busy loop.
const minRetry = 100

// retry returns how long to wait before renewing when the lease ends at
// h.until: a third of a lease, or halfway to the end if that is sooner.
// A lease taken near its attempt's deadline lasts less than a third of a
// lease, and so may one whose renewals failed: a retry a third of a lease
// after a failure would come after the end, when another process may
// have taken the lock over, however briefly the database failed. Halving
// the time left retries ever more often as the end nears; past the end,
// the lease holds only until another process takes it, and the retries
// come at the shortest wait.
func (h *lease) retry() time.Duration {
	l := h.l
	left := h.until.Sub(l.now())
	return min(l.lease/3, max(left/2, l.lease/minRetry))
}

// release deletes the lease if it is still ours. If the database does not
// answer, the release is delivered later, or the lease runs out first.
func (h *lease) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.timer.Stop()
	l := h.l
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if _, err := l.exec(ctx, l.q.lockRelease, h.key, h.token); err != nil {
		// The last renewal, even one that got no answer, may have moved
		// the end up to a lease from now.
		l.releaseLater(h.key, h.token, l.lease)
	}
}

// Cleanup implements session.Store: it also removes the leases that ran
// out, left by processes that crashed while holding them.
func (l *LockingStore) Cleanup(ctx context.Context, now time.Time) (int, error) {
	if _, err := l.exec(ctx, l.q.lockCleanup, l.t(now)); err != nil {
		return 0, fmt.Errorf("dbstore: cleanup of %s_lock: %w", l.table, err)
	}
	return l.Store.Cleanup(ctx, now)
}
