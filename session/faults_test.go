package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hangingStore is a store that accepts every call and answers none until
// the call's context ends, as a database behind a frozen network does.
type hangingStore struct {
	Store
	hang atomic.Bool
}

func (s *hangingStore) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	if s.hang.Load() {
		<-ctx.Done()
		return nil, time.Time{}, false, ctx.Err()
	}
	return s.Store.Load(ctx, key)
}

func (s *hangingStore) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode SaveMode) error {
	if s.hang.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	return s.Store.Save(ctx, key, data, deadline, mode)
}

// A store that does not answer holds a request no longer than
// StoreTimeout: the request answers 503 with Retry-After, and the log
// names the store, the operation and the timeout, not a busy session.
func TestHungStoreAnswers503(t *testing.T) {
	store := &hangingStore{Store: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{StoreTimeout: 50 * time.Millisecond})
	expect(t, h.do("GET", "/count"), 200, "1")
	store.hang.Store(true)
	for _, path := range []string{"/count", "/read"} { // a load that hangs
		w := h.do("GET", path)
		expect(t, w, http.StatusServiceUnavailable, "session store unavailable, try again later")
		if w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", path)
		}
	}
	h.jar = map[string]*http.Cookie{}
	expect(t, h.do("GET", "/count"), http.StatusServiceUnavailable, "session store unavailable, try again later") // a save
	log := h.logged()
	for _, want := range []string{"store failed", "store=*session.countingStore", "op=load", "no answer within 50ms"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "busy") {
		t.Errorf("a hung store was logged as a busy session:\n%s", log)
	}
	store.hang.Store(false)
	expect(t, h.do("GET", "/count"), 200, "1")
}

// hungLocker is a Locker that does not answer, or, with busy, says that
// another holder keeps the lock.
type hungLocker struct {
	*MemoryStore
	busy bool
}

func (l *hungLocker) Lock(ctx context.Context, key string) (Lease, error) {
	<-ctx.Done()
	if l.busy {
		return Lease{}, fmt.Errorf("%w: held by another instance", ErrLockTimeout)
	}
	return Lease{}, ctx.Err()
}

// The store's lock tells a hung store from a session busy elsewhere.
func TestHungLockIsTheStores(t *testing.T) {
	for _, c := range []struct {
		busy       bool
		body, logs string
	}{
		{false, "session store unavailable, try again later", "op=lock"},
		{true, "session busy, try again", "another instance held the session's lock in the store"},
	} {
		t.Run(fmt.Sprint("busy=", c.busy), func(t *testing.T) {
			store := &hungLocker{MemoryStore: NewMemoryStore(), busy: c.busy}
			h := newHarnessStore(t, store, Config{StoreTimeout: 50 * time.Millisecond, LockTimeout: time.Minute})
			h.m.locks().store = nil // the first visit creates the session without the lock
			expect(t, h.do("GET", "/count"), 200, "1")
			h.m.locks().store = store
			expect(t, h.do("GET", "/count"), http.StatusServiceUnavailable, c.body)
			if !strings.Contains(h.logged(), c.logs) {
				t.Errorf("the log lacks %q:\n%s", c.logs, h.logged())
			}
		})
	}
}

// A store that fails on every request is logged once when it starts, at
// most once per interval while it goes on, and once when it recovers.
func TestOutageLogIsQuiet(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	h.store.fail.Store(true)
	for range 50 {
		expect(t, h.do("GET", "/count"), http.StatusServiceUnavailable, "session store unavailable, try again later")
	}
	h.m.outage.mu.Lock()
	h.m.outage.interval = 0 // the next failure is past the interval
	h.m.outage.mu.Unlock()
	h.do("GET", "/count")
	h.store.fail.Store(false)
	expect(t, h.do("GET", "/count"), 200, "2")
	expect(t, h.do("GET", "/count"), 200, "3")
	log := h.logged()
	if n := strings.Count(log, "level=ERROR"); n != 2 {
		t.Errorf("%d ERROR lines; want the first failure and one summary:\n%s", n, log)
	}
	for _, want := range []string{"store failed", "database is down", "store still failing: 50 errors in", "store recovered after 51 failed operations"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "recovered"); n != 1 {
		t.Errorf("%d recovery lines; want 1", n)
	}
}

// fencingStore is a MemoryStore whose Locker fences its writes, and whose
// lease a test can hand to another holder, as when a lease runs out under
// a stalled request and another instance takes the lock.
type fencingStore struct {
	*MemoryStore
	mu      sync.Mutex
	current string // the token that holds the lock
	n       int
}

func (f *fencingStore) Lock(context.Context, string) (Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.current = fmt.Sprint("lease-", f.n)
	return Lease{Token: f.current, Release: func() {}}, nil
}

// takeOver gives the lock to another holder.
func (f *fencingStore) takeOver() {
	f.mu.Lock()
	f.current = "another-instance"
	f.mu.Unlock()
}

func (f *fencingStore) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode SaveMode) error {
	if token, ok := LeaseToken(ctx); ok && mode == Update {
		f.mu.Lock()
		stale := token != f.current
		f.mu.Unlock()
		if stale {
			return fmt.Errorf("fencingStore: %w", ErrFenced)
		}
	}
	return f.MemoryStore.Save(ctx, key, data, deadline, mode)
}

func (f *fencingStore) Delete(ctx context.Context, key string) error {
	if token, ok := LeaseToken(ctx); ok {
		f.mu.Lock()
		stale := token != f.current
		f.mu.Unlock()
		if _, _, found, _ := f.MemoryStore.Load(ctx, key); stale && found {
			return fmt.Errorf("fencingStore: %w", ErrFenced)
		}
	}
	return f.MemoryStore.Delete(ctx, key)
}

// A request whose lease was taken over while it stalled does not save:
// the other holder's writes stand, the request answers 503, and the log
// says what happened.
func TestStaleLeaseCannotSave(t *testing.T) {
	store := &fencingStore{MemoryStore: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	expect(t, h.do("GET", "/count"), 200, "2") // a save under a lease
	stalled := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		n := s.Int("count") + 1
		store.takeOver() // the lease runs out; another instance holds it now
		s.Set("count", n)
		fmt.Fprint(w, n)
	}))
	w := h.doHandler(stalled, "GET", "/count")
	expect(t, w, http.StatusServiceUnavailable, "session changed elsewhere, try again")
	if !strings.Contains(h.logged(), "a save was refused") || !strings.Contains(h.logged(), "another instance took the session") {
		t.Errorf("the refused save was not logged:\n%s", h.logged())
	}
	expect(t, h.do("GET", "/read"), 200, "2") // the stalled request's 3 was not written
}

// A request whose lease was taken over while it stalled does not kill
// the session: the other holder's session stays, and the request answers
// 503 as a refused save does.
func TestStaleLeaseCannotKill(t *testing.T) {
	store := &fencingStore{MemoryStore: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	expect(t, h.do("GET", "/count"), 200, "2")
	stalled := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Int("count")   // loads the session, under a lease
		store.takeOver() // the lease runs out; another instance holds it now
		if err := s.Kill(); !errors.Is(err, ErrFenced) {
			t.Errorf("Kill under a lease taken over = %v; want ErrFenced", err)
		}
		fmt.Fprint(w, "Reset")
	}))
	w := h.doHandler(stalled, "GET", "/reset")
	expect(t, w, http.StatusServiceUnavailable, "session changed elsewhere, try again")
	if h.cookie() == "" {
		t.Error("the refused Kill deleted the cookie")
	}
	expect(t, h.do("GET", "/read"), 200, "2") // the session is still there
}

// A request whose lease was taken over while it stalled does not renew
// the session's id: the old id's session, the other holder's, stays, and
// the copy saved under the new id, which the failed response never sent,
// is removed again.
func TestStaleLeaseCannotRenew(t *testing.T) {
	store := &fencingStore{MemoryStore: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	expect(t, h.do("GET", "/count"), 200, "2")
	old := h.cookie()
	stalled := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Int("count")
		store.takeOver()
		if err := s.RenewID(); err != nil {
			t.Errorf("RenewID = %v", err)
		}
		s.Set("user", "ann")
		fmt.Fprint(w, "renewed")
	}))
	w := h.doHandler(stalled, "GET", "/renew")
	expect(t, w, http.StatusServiceUnavailable, "session changed elsewhere, try again")
	if h.cookie() != old {
		t.Error("the refused RenewID changed the cookie")
	}
	if n := store.Len(); n != 1 {
		t.Errorf("the store holds %d sessions after a refused RenewID; want 1, the old id's", n)
	}
	expect(t, h.do("GET", "/read"), 200, "2")
}

// While the store hangs, the requests of one session that queue behind
// the one waiting for it fail with it, instead of each waiting for the
// store in turn (one StoreTimeout after the other) or giving up as a busy
// session with a slow handler: the store sees one load, and each request
// is answered as the store's failure.
func TestQueueBehindAHungStoreFailsWithIt(t *testing.T) {
	store := &hangingStore{Store: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{StoreTimeout: 300 * time.Millisecond})
	expect(t, h.do("GET", "/count"), 200, "1")
	cookie := h.jar["sid"]
	store.hang.Store(true)
	loads := h.store.loads.Load()
	var wg sync.WaitGroup
	bodies := make([]string, 4)
	send := func(i int) {
		defer wg.Done()
		r := httptest.NewRequest("GET", "/count", nil)
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, r)
		bodies[i] = fmt.Sprint(w.Code, " ", strings.TrimSpace(w.Body.String()))
	}
	wg.Add(len(bodies))
	go send(0)
	waitForWaiters(t, h.m, cookie.Value, 1) // the first holds the lock, waiting for the store
	for i := 1; i < len(bodies); i++ {
		go send(i)
	}
	waitForWaiters(t, h.m, cookie.Value, len(bodies))
	wg.Wait()
	for _, b := range bodies {
		if b != "503 session store unavailable, try again later" {
			t.Errorf("a request of a session queued behind a hung store: %q\n%s", b, h.logged())
		}
	}
	if n := h.store.loads.Load() - loads; n != 1 {
		t.Errorf("the hung store saw %d loads; want 1: the queue must not wait for it in turn", n)
	}
	if strings.Contains(h.logged(), "slow handler") {
		t.Errorf("the queue was logged as a slow handler:\n%s", h.logged())
	}
	store.hang.Store(false)
	expect(t, h.do("GET", "/count"), 200, "2") // the next request tries the store again
	if n := h.m.locks().size(); n != 0 {
		t.Errorf("%d lock entries left", n)
	}
}

// While the store hangs, the requests of one session queue behind each
// other; those that give up waiting are answered and logged as the
// store's failure, not as a busy session with a slow handler.
func TestQueueBehindAHungStoreIsTheStores(t *testing.T) {
	store := &hangingStore{Store: NewMemoryStore()}
	h := newHarnessStore(t, store, Config{StoreTimeout: 200 * time.Millisecond, LockTimeout: 50 * time.Millisecond})
	expect(t, h.do("GET", "/count"), 200, "1")
	cookie := h.jar["sid"]
	store.hang.Store(true)
	h.jar = map[string]*http.Cookie{}
	expect(t, h.do("GET", "/count"), http.StatusServiceUnavailable, "session store unavailable, try again later") // the outage starts
	var wg sync.WaitGroup
	bodies := make([]string, 3)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/count", nil)
			r.AddCookie(cookie)
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			bodies[i] = fmt.Sprint(w.Code, " ", strings.TrimSpace(w.Body.String()))
		}()
	}
	wg.Wait()
	for _, b := range bodies {
		if b != "503 session store unavailable, try again later" {
			t.Errorf("a request of a session queued behind a hung store: %q\n%s", b, h.logged())
		}
	}
	if strings.Contains(h.logged(), "slow handler") {
		t.Errorf("the queue was logged as a slow handler:\n%s", h.logged())
	}
}
