package session

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// lockTable serialises the requests of one session inside a process, and
// across processes with the store's help when the store is a Locker.
//
// The life of a lock:
//
//   - take: a request waits for the session's lock, at most LockTimeout,
//     then takes the store's lock too, unless the request before it passed
//     that one on. Requests that never use their session never take it.
//   - received: the data the previous holder passed on, if any; otherwise
//     the request reads the store and calls readStore, which starts the
//     hand-over window when no store lock did.
//   - giveBack: once the session is saved, the holder gives the lock back.
//     While other requests of the session wait in this process and the
//     window is open, it passes them the store's lock and the data just
//     saved (pass on); otherwise it releases the store's lock at once, so
//     that other processes can take it.
//
// Entries are reference counted and removed when no request holds or
// waits for them, so the table stays as small as the number of sessions in
// use right now; it is sharded to keep unrelated sessions from contending
// on one mutex. Only this file touches a keyLock's fields.
type lockTable struct {
	seed    maphash.Seed
	shards  [64]lockShard
	free    sync.Pool     // unused *keyLock, to spare an allocation per request
	store   Locker        // the store's own lock, or nil
	timeout time.Duration // Config.LockTimeout, for both locks together
	storeTO time.Duration // Config.StoreTimeout, for the store's lock
	window  time.Duration // handoverWindow; tests change it
}

// handoverWindow is how long a process may pass a session from one of its
// requests to the next one waiting for it, with the store's lock and the
// data just saved, instead of releasing the lock, taking it again and
// loading the data back: two or three round trips saved per request when
// one session's requests queue up. The window starts when the store's
// lock is taken (or, without one, when the data is read from the store),
// so it bounds how stale the data can be when another process writes the
// same session without a Locker, and how long other processes wait behind
// a busy one before the lock is up for grabs again. It is far shorter than
// any store's lease (a second for dbstore, 100 ms at least for
// redisstore), so a lock passed on is valid even if its renewals failed.
const handoverWindow = 50 * time.Millisecond

type lockShard struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

// keyLock is the lock of one session key.
type keyLock struct {
	key  string
	held chan struct{} // holds one token while the lock is taken
	refs int           // requests holding or waiting, guarded by the shard

	// What a holder passes on to the next one. Only the holder of held
	// touches these, or drop once the last reference is gone.
	lease    Lease     // the store's lock, when this process holds it
	data     []byte    // the session as the store holds it, when known
	deadline time.Time // and its deadline
	since    time.Time // when the window opened
	failure  error     // the store's failure, passed to the requests that waited meanwhile
}

func newLockTable(store Store, timeout, storeTimeout time.Duration) *lockTable {
	t := &lockTable{seed: maphash.MakeSeed(), timeout: timeout, storeTO: storeTimeout, window: handoverWindow}
	t.store, _ = store.(Locker)
	for i := range t.shards {
		t.shards[i].m = make(map[string]*keyLock)
	}
	return t
}

func (t *lockTable) shard(key string) *lockShard {
	return &t.shards[maphash.String(t.seed, key)%uint64(len(t.shards))]
}

// take takes the lock of key: the in-process one, then the store's own
// when the store offers one and this process does not hold it already,
// waiting LockTimeout in all, no longer than ctx allows, and for the
// store's lock no longer than StoreTimeout either. It returns
// ErrLockTimeout when another holder kept the lock too long, and a
// *StoreError when the store failed or did not answer in time.
func (t *lockTable) take(ctx context.Context, key string) (*keyLock, error) {
	var start time.Time
	if t.store != nil {
		start = time.Now() // both locks share one LockTimeout
	}
	l, err := t.wait(ctx, key)
	if err == nil && l.failure != nil {
		err = &StoreError{Op: "lock", Err: fmt.Errorf("the request of this session before this one met the store failing: %w", l.failure)}
		t.giveBackFailed(l, l.failure)
		return nil, err
	}
	if err != nil || t.store == nil || l.leased() {
		return l, err
	}
	budget := t.timeout - time.Since(start)
	storeBound := t.storeTO < budget
	lctx, cancel := context.WithTimeout(ctx, min(budget, t.storeTO))
	defer cancel()
	lease, err := t.store.Lock(lctx, key)
	if err == nil {
		if lease.Release == nil {
			lease.Release = func() {}
		}
		l.lease, l.since = lease, time.Now()
		return l, nil
	}
	switch {
	case ctx.Err() != nil:
		err = context.Cause(ctx)
	case errors.Is(err, ErrLockTimeout):
		err = errLeaseHeld // the store says another holder has it
	case errors.Is(err, context.DeadlineExceeded) && !storeBound:
		err = errLeaseHeld // a store that does not say: LockTimeout ran out
	case errors.Is(err, context.DeadlineExceeded):
		err = &StoreError{Op: "lock", Err: fmt.Errorf("no answer within %v: %w", t.storeTO, err)}
	default:
		err = &StoreError{Op: "lock", Err: err}
	}
	if _, failed := err.(*StoreError); failed {
		t.giveBackFailed(l, err) // the requests waiting behind this one fail with it
	} else {
		t.giveBack(l, nil, time.Time{})
	}
	return nil, err
}

// errLeaseHeld is the ErrLockTimeout of a request that got this
// process's lock but not the store's: another instance holds it, or a
// lock attempt sent during an outage took it late.
var errLeaseHeld = fmt.Errorf("the store's lock of the session stayed taken: %w", ErrLockTimeout)

// leased reports whether l holds the store's lock too.
func (l *keyLock) leased() bool { return l.lease.Release != nil }

// fence returns ctx for a write or a delete under l: with the lease's
// token when l holds the store's lock, so that the store can refuse it
// once another holder has taken the lock. A nil l (no lock held) leaves
// ctx as it is.
func (l *keyLock) fence(ctx context.Context) context.Context {
	if l == nil || !l.leased() {
		return ctx
	}
	return WithLease(ctx, l.lease.Token)
}

// wait takes the in-process lock of key.
func (t *lockTable) wait(ctx context.Context, key string) (*keyLock, error) {
	sh := t.shard(key)
	sh.mu.Lock()
	l := sh.m[key]
	if l == nil {
		l, _ = t.free.Get().(*keyLock)
		if l == nil {
			l = &keyLock{held: make(chan struct{}, 1)}
		}
		l.key = key
		sh.m[key] = l
	}
	l.refs++
	sh.mu.Unlock()

	select {
	case l.held <- struct{}{}:
		return l, nil
	default:
	}
	timer := time.NewTimer(t.timeout)
	defer timer.Stop()
	select {
	case l.held <- struct{}{}:
		return l, nil
	case <-timer.C:
		t.unref(sh, l)
		return nil, ErrLockTimeout
	case <-ctx.Done():
		t.unref(sh, l)
		return nil, context.Cause(ctx)
	}
}

// received returns the data the previous holder passed on, if any, and
// forgets it.
func (l *keyLock) received() (data []byte, deadline time.Time, ok bool) {
	data, deadline = l.data, l.deadline
	l.data, l.deadline = nil, time.Time{}
	return data, deadline, data != nil
}

// readStore notes that the holder read the session from the store: without
// a store lock, that opens the hand-over window.
func (l *keyLock) readStore() {
	if !l.leased() {
		l.since = time.Now()
	}
}

// giveBack gives back a lock that take returned. data is the session as
// the store now holds it, or nil when unknown; while the window is open it
// stays with the lock for the next request of this process that takes it,
// and unref forgets it when none does. The store's lock stays only for a
// request already waiting.
func (t *lockTable) giveBack(l *keyLock, data []byte, deadline time.Time) {
	sh := t.shard(l.key)
	pass := (l.leased() || data != nil) && time.Since(l.since) < t.window
	if pass && l.leased() {
		sh.mu.Lock()
		pass = l.refs > 1
		sh.mu.Unlock()
	}
	if pass {
		l.data, l.deadline = data, deadline
	} else {
		l.drop()
	}
	<-l.held
	t.unref(sh, l)
}

// giveBackFailed gives back a lock whose holder found the store failing
// (err): the requests that wait for it now fail at once (take) instead of
// waiting for the store in turn, each one StoreTimeout after the other;
// the next request that comes once they are gone tries the store again.
func (t *lockTable) giveBackFailed(l *keyLock, err error) {
	sh := t.shard(l.key)
	sh.mu.Lock()
	waiting := l.refs > 1
	sh.mu.Unlock()
	l.drop()
	if waiting {
		l.failure = err
	}
	<-l.held
	t.unref(sh, l)
}

// drop releases the store's lock, if held, and forgets the data.
func (l *keyLock) drop() {
	if l.leased() {
		l.lease.Release()
		l.lease = Lease{}
	}
	l.data, l.deadline, l.failure = nil, time.Time{}, nil
}

// unref drops one reference to l, and the entry with the last one, with
// what was kept for a next request: the data, and the store's lock when
// the waiter it was kept for gave up.
func (t *lockTable) unref(sh *lockShard, l *keyLock) {
	sh.mu.Lock()
	l.refs--
	last := l.refs == 0
	if last {
		delete(sh.m, l.key)
	}
	sh.mu.Unlock()
	if !last {
		return
	}
	l.drop()
	t.free.Put(l) // its channel is empty: nobody holds or waits for it
}

// size returns the number of keys in the table, for tests.
func (t *lockTable) size() int {
	n := 0
	for i := range t.shards {
		t.shards[i].mu.Lock()
		n += len(t.shards[i].m)
		t.shards[i].mu.Unlock()
	}
	return n
}
