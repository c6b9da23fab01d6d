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
}

type lockShard struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	held chan struct{} // holds one token while the lock is taken
	refs int           // requests holding or waiting, guarded by the shard
}

func newLockTable() *lockTable {
	t := &lockTable{seed: maphash.MakeSeed()}
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

// unlock gives back the lock of key taken by lock.
func (t *lockTable) unlock(key string, l *keyLock) {
	<-l.held
	t.release(t.shard(key), key, l)
}

// release drops one reference to l, and the entry with the last one.
func (t *lockTable) release(sh *lockShard, key string, l *keyLock) {
	sh.mu.Lock()
	l.refs--
	last := l.refs == 0
	if last {
		delete(sh.m, key)
	}
	sh.mu.Unlock()
	if last {
		t.free.Put(l) // its channel is empty: nobody holds or waits for it
	}
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
