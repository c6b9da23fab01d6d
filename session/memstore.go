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
type MemoryStore struct {
	mu sync.RWMutex
	m  map[string]memEntry
}

type memEntry struct {
	data     []byte
	deadline time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load implements Store.
func (s *MemoryStore) Load(_ context.Context, key string) ([]byte, time.Time, bool, error) {
	if err := CheckKey(key); err != nil {
		return nil, time.Time{}, false, err
	}
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if mode == Update {
		if e, ok := s.m[key]; !ok || !e.deadline.After(time.Now()) {
			return ErrNotFound
		}
	}
	if s.m == nil {
		s.m = make(map[string]memEntry)
	}
	s.m[key] = memEntry{data: append([]byte(nil), data...), deadline: deadline}
	return nil
}

// Touch implements Toucher.
func (s *MemoryStore) Touch(_ context.Context, key string, deadline time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok || !e.deadline.After(time.Now()) {
		return ErrNotFound
	}
	e.deadline = deadline
	s.m[key] = e
	return nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// Cleanup implements Store. It holds the write lock for batches of keys
// only, so loads and saves go on while a large store is cleaned.
func (s *MemoryStore) Cleanup(ctx context.Context, now time.Time) (int, error) {
	s.mu.RLock()
	var expired []string
	for k, e := range s.m {
		if !e.deadline.After(now) {
			expired = append(expired, k)
		}
	}
	s.mu.RUnlock()
	removed := 0
	for len(expired) > 0 {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		n := min(len(expired), 1000)
		s.mu.Lock()
		for _, k := range expired[:n] {
			// Check again: the session may have been used meanwhile.
			if e, ok := s.m[k]; ok && !e.deadline.After(now) {
				delete(s.m, k)
				removed++
			}
		}
		s.mu.Unlock()
		expired = expired[n:]
	}
	return removed, nil
}

// Len returns the number of sessions held, expired ones included.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
