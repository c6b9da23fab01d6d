package session

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// lockTable holds one lock per session key that some request is using.
// Entries are reference counted and removed when no request holds or
// waits for them, so the table stays as small as the number of sessions
// in use right now. It is sharded to keep unrelated sessions from
// contending on one mutex.
type lockTable struct {
	seed   maphash.Seed
	shards [64]lockShard
	free   sync.Pool // unused *keyLock, to spare an allocation per request
	// handover is handoverWindow; tests change it.
	handover time.Duration
}

type lockShard struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	held chan struct{} // holds one token while the lock is taken
	refs int           // requests holding or waiting, guarded by the shard

	// What a request passes on to the next one waiting for the key, so
	// that a queue of requests of one session takes no more round trips
	// than it must (see unlock). Only the holder of held touches these,
	// or release once the last reference is gone.
	store    func()    // releases the store's own lock (Locker), when this process holds it
	data     []byte    // the session as the store holds it, when known
	deadline time.Time // and its deadline
	since    time.Time // when the store's lock was taken, or else the data read from the store
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

func newLockTable() *lockTable {
	t := &lockTable{seed: maphash.MakeSeed(), handover: handoverWindow}
	for i := range t.shards {
		t.shards[i].m = make(map[string]*keyLock)
	}
	return t
}

func (t *lockTable) shard(key string) *lockShard {
	return &t.shards[maphash.String(t.seed, key)%uint64(len(t.shards))]
}

// lock takes the lock of key, waiting at most timeout and no longer than
// ctx allows. Give it back with unlock.
func (t *lockTable) lock(ctx context.Context, key string, timeout time.Duration) (*keyLock, error) {
	sh := t.shard(key)
	sh.mu.Lock()
	l := sh.m[key]
	if l == nil {
		l, _ = t.free.Get().(*keyLock)
		if l == nil {
			l = &keyLock{held: make(chan struct{}, 1)}
		}
		sh.m[key] = l
	}
	l.refs++
	sh.mu.Unlock()

	select {
	case l.held <- struct{}{}:
		return l, nil
	default:
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case l.held <- struct{}{}:
		return l, nil
	case <-timer.C:
		t.release(sh, key, l)
		return nil, ErrLockTimeout
	case <-ctx.Done():
		t.release(sh, key, l)
		return nil, context.Cause(ctx)
	}
}

// unlock gives back the lock of key taken by lock. While the window since
// l.since is open, the data (the session as the store holds it, or nil
// when unknown) stays with l for the next request of this process that
// takes it; release forgets it when nobody does. The store's lock stays
// only for a request already waiting: otherwise it is released now, so
// that other processes can take it at once.
func (t *lockTable) unlock(key string, l *keyLock, data []byte, deadline time.Time) {
	sh := t.shard(key)
	pass := (l.store != nil || data != nil) && time.Since(l.since) < t.handover
	if pass && l.store != nil {
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
	t.release(sh, key, l)
}

// take returns the data passed on by the previous holder, if any, and
// forgets it. The caller holds l.
func (l *keyLock) take() (data []byte, deadline time.Time, ok bool) {
	data, deadline = l.data, l.deadline
	l.data, l.deadline = nil, time.Time{}
	return data, deadline, data != nil
}

// drop releases the store's lock, if held, and forgets the data.
func (l *keyLock) drop() {
	if l.store != nil {
		l.store()
		l.store = nil
	}
	l.data, l.deadline = nil, time.Time{}
}

// release drops one reference to l, and the entry with the last one,
// with what was kept for a next request: the data, and the store's lock
// when the waiter it was kept for gave up.
func (t *lockTable) release(sh *lockShard, key string, l *keyLock) {
	sh.mu.Lock()
	l.refs--
	last := l.refs == 0
	if last {
		delete(sh.m, key)
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
