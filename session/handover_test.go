package session

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// lockingStore is a MemoryStore with a Locker that fails the test if two
// requests hold its lock at once, and counts the locks taken.
type lockingStore struct {
	*MemoryStore
	t *testing.T

	mu       sync.Mutex
	held     bool
	taken    int
	released int
}

func (s *lockingStore) Lock(ctx context.Context, key string) (Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held {
		s.t.Error("the store's lock was taken while held")
	}
	s.held = true
	s.taken++
	var once sync.Once
	return Lease{Token: fmt.Sprint(s.taken), Release: func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.held = false
			s.released++
		})
	}}, nil
}

func (s *lockingStore) counts() (taken, released int, held bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.taken, s.released, s.held
}

// queueOnOneSession holds the session of a first request while n more
// requests of it queue up in this process, then lets them all through and
// returns how often the store's lock was taken and the session loaded
// from the store for the queue.
func queueOnOneSession(t *testing.T, window time.Duration, n int) (taken, loads int) {
	store := &lockingStore{MemoryStore: NewMemoryStore(), t: t}
	h := newHarnessStore(t, store, Config{})
	h.m.locks().window = window
	expect(t, h.do("GET", "/count"), 200, "1") // a new session: nothing to lock
	expect(t, h.do("GET", "/count"), 200, "2")
	if taken, released, held := store.counts(); taken != 1 || released != 1 || held {
		t.Fatalf("one request: %d taken, %d released, held %v; want 1, 1, false", taken, released, held)
	}
	started, release := make(chan struct{}), make(chan struct{})
	slow := h.m.Middleware(slowHandler(started, release, false))
	jar := h.jar["sid"]
	send := func(handler http.Handler, target string) {
		r := httptest.NewRequest("GET", target, nil)
		r.AddCookie(jar)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("%s: status %d", target, w.Code)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { send(slow, "/slow") })
	<-started
	loadsBefore := h.store.loads.Load()
	for range n {
		wg.Go(func() { send(h.h, "/count") })
	}
	waitForWaiters(t, h.m, jar.Value, n+1)
	close(release)
	wg.Wait()
	loads = int(h.store.loads.Load() - loadsBefore)
	expect(t, h.do("GET", "/read"), 200, fmt.Sprint(n+2))
	taken, released, held := store.counts()
	if held || taken != released {
		t.Fatalf("after the queue: %d taken, %d released, held %v", taken, released, held)
	}
	if n := h.m.locks().size(); n != 0 {
		t.Errorf("%d lock entries left", n)
	}
	return taken - 2, loads // taken: without the second request and /read
}

// Requests of one session that queue up in this process pass the store's
// lock and the saved data along instead of releasing the lock, taking it
// again and loading the data back, and the last one releases the lock.
func TestSessionIsPassedToWaitingRequests(t *testing.T) {
	taken, loads := queueOnOneSession(t, time.Hour, 10)
	if taken != 1 || loads != 0 {
		t.Fatalf("11 queued requests took the store's lock %d times and loaded %d times; want once and never", taken, loads)
	}
}

// Once the window has passed, the store's lock is released and taken
// again and the session loaded from the store, so that other processes get
// their turn, a lock whose renewals failed is not passed on, and what
// another process wrote is seen.
func TestSessionIsNotPassedAfterTheWindow(t *testing.T) {
	taken, loads := queueOnOneSession(t, 0, 10)
	if taken != 11 || loads != 10 {
		t.Fatalf("11 queued requests took the store's lock %d times and loaded %d times; want 11 and 10", taken, loads)
	}
}

// What is passed on is what the store holds: the changes of a request that
// failed are not, and a session killed or renewed is not passed at all.
func TestPassedSessionIsWhatTheStoreHolds(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{"/count", "2"},
		{"/boom", "1"},  // a 500 discards its change to 999
		{"/reset", "0"}, // killed: the waiter starts afresh
		{"/renew", "0"}, // the old id is gone
	} {
		t.Run(tc.target, func(t *testing.T) {
			h := newHarness(t, Config{IgnoreExpiry: Yes})
			h.m.locks().window = time.Hour
			expect(t, h.do("GET", "/count"), 200, "1")
			jar := h.jar["sid"]
			// The first request takes the session, waits until the second
			// one queues up behind it, then does tc.target's work.
			started, release := make(chan struct{}), make(chan struct{})
			inner := testMux()
			first := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				FromContext(r.Context()).Int("count")
				close(started)
				<-release
				inner.ServeHTTP(w, r)
			}))
			send := func(handler http.Handler, target string) string {
				r := httptest.NewRequest("GET", target, nil)
				r.AddCookie(jar)
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, r)
				return body(w)
			}
			loads := h.store.loads.Load()
			var wg sync.WaitGroup
			wg.Go(func() { send(first, tc.target) })
			<-started
			var got string
			wg.Go(func() { got = send(h.h, "/read") })
			waitForWaiters(t, h.m, jar.Value, 2)
			close(release)
			wg.Wait()
			if got != tc.want {
				t.Fatalf("/read queued behind %s answered %q; want %q", tc.target, got, tc.want)
			}
			if tc.target == "/count" && h.store.loads.Load()-loads != 1 {
				t.Fatal("the queued /read loaded the session from the store")
			}
			if got := send(h.h, "/read"); got != tc.want {
				t.Fatalf("/read after %s answered %q; want %q", tc.target, got, tc.want)
			}
		})
	}
}

// failingDelete is a lockingStore whose Delete fails.
type failingDelete struct{ *lockingStore }

func (failingDelete) Delete(context.Context, string) error { return errDown }

// A session that fails while it holds its lock (a Kill whose Delete fails)
// gives back its lock and the store's: the next request is served, not
// kept waiting for a lock nobody will release.
func TestFailedKillReleasesTheLocks(t *testing.T) {
	store := failingDelete{&lockingStore{MemoryStore: NewMemoryStore(), t: t}}
	h := newHarnessStore(t, store, Config{LockTimeout: 200 * time.Millisecond})
	expect(t, h.do("GET", "/count"), 200, "1")
	if w := h.do("GET", "/reset"); w.Code != 503 || body(w) != "session store unavailable, try again later" {
		t.Fatalf("/reset with a failing Delete answered %d %q", w.Code, body(w))
	}
	if taken, released, held := store.counts(); held || taken != released {
		t.Fatalf("after the failed Kill: %d taken, %d released, held %v", taken, released, held)
	}
	if n := h.m.locks().size(); n != 0 {
		t.Fatalf("%d lock entries left", n)
	}
	expect(t, h.do("GET", "/count"), 200, "2")
}
