package session

import (
	"context"
	"sync"
	"time"
)

// MemoryStore keeps sessions in the memory of the process (web.py's
// MemoryStore). Sessions are lost when the process exits and are not
// shared between processes: use it for tests, demos and single-instance
// apps that can afford to log everyone out on restart. The zero value is
// ready to use.
//
// The sessions are spread over 64 shards, each with its own lock, so that
// requests of different sessions rarely wait for each other and a cleanup
// holds one shard at a time.
type MemoryStore struct {
	shards [64]memShard
}

type memShard struct {
	mu   sync.RWMutex
	m    map[string]memEntry
	peak int // the most entries m has held since it was made
}

type memEntry struct {
	data     []byte
	deadline time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// shard picks the shard of a valid key from its first two hex digits: keys
// are SHA-256 sums, so they spread evenly.
func (s *MemoryStore) shard(key string) *memShard {
	return &s.shards[(unhex(key[0])<<4|unhex(key[1]))%uint8(len(s.shards))]
}

func unhex(c byte) uint8 {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// Load implements Store.
func (s *MemoryStore) Load(_ context.Context, key string) ([]byte, time.Time, bool, error) {
	if err := CheckKey(key); err != nil {
		return nil, time.Time{}, false, err
	}
	sh := s.shard(key)
	sh.mu.RLock()
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	if !ok || !e.deadline.After(time.Now()) {
		return nil, time.Time{}, false, nil
	}
	return e.data, e.deadline, true, nil
}

// Save implements Store. The data is copied, so the caller may reuse it.
func (s *MemoryStore) Save(_ context.Context, key string, data []byte, deadline time.Time, mode SaveMode) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if mode == Update {
		if e, ok := sh.m[key]; !ok || !e.deadline.After(time.Now()) {
			return ErrNotFound
		}
	}
	if sh.m == nil {
		sh.m = make(map[string]memEntry)
	}
	sh.m[key] = memEntry{data: append([]byte(nil), data...), deadline: deadline}
	sh.peak = max(sh.peak, len(sh.m))
	return nil
}

// Touch implements Toucher.
func (s *MemoryStore) Touch(_ context.Context, key string, deadline time.Time) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[key]
	if !ok || !e.deadline.After(time.Now()) {
		return ErrNotFound
	}
	e.deadline = deadline
	sh.m[key] = e
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	sh := s.shard(key)
	sh.mu.Lock()
	delete(sh.m, key)
	sh.mu.Unlock()
	return nil
}

// Cleanup implements Store. It cleans one shard at a time, so loads and
// saves of the other shards go on while a large store is cleaned.
func (s *MemoryStore) Cleanup(ctx context.Context, now time.Time) (int, error) {
	removed := 0
	for i := range s.shards {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if !e.deadline.After(now) {
				delete(sh.m, k)
				removed++
			}
		}
		sh.shrink()
		sh.mu.Unlock()
	}
	return removed, nil
}

// shrink moves the entries of a shard that a cleanup emptied to three
// quarters or more into a map of their size: a Go map keeps the room of
// its largest size, so a burst of one-time visitors would otherwise hold
// its memory for good (BenchmarkOneShotVisitors: 9.4 MB an hour after
// 100,000 of them without shrink, 0 MB with it).
func (sh *memShard) shrink() {
	if len(sh.m) >= sh.peak/4 {
		return
	}
	m := make(map[string]memEntry, len(sh.m))
	for k, e := range sh.m {
		m[k] = e
	}
	sh.m, sh.peak = m, len(m)
}

// Len returns the number of sessions held, expired ones included.
func (s *MemoryStore) Len() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.RLock()
		n += len(s.shards[i].m)
		s.shards[i].mu.RUnlock()
	}
	return n
}
