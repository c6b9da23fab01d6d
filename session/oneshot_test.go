package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// A new session lives FirstTimeout until its cookie comes back, then the
// full Timeout: visitors who never return leave nothing an hour later.
func TestFirstTimeoutUntilTheCookieReturns(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newHarness(t, Config{CleanupInterval: -1})
	h.m.now = clock.now
	ms := h.store.Store.(*MemoryStore)
	h.do("GET", "/count")
	if e := allEntries(ms); len(e) != 1 || !near(e[0].deadline, clock.now().Add(DefaultFirstTimeout)) {
		t.Fatalf("a new session's deadline: %v; want now + %v", e, DefaultFirstTimeout)
	}
	clock.add(time.Minute)
	expect(t, h.do("GET", "/read"), 200, "1") // the cookie comes back
	if e := allEntries(ms); len(e) != 1 || !near(e[0].deadline, clock.now().Add(DefaultTimeout)) {
		t.Fatalf("a returning session's deadline: %v; want now + %v", e, DefaultTimeout)
	}
	// One-shot visitors are gone an hour later; the returning one stays.
	for range 100 {
		r := httptest.NewRequest("GET", "/count", nil)
		h.h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if n := ms.Len(); n != 101 {
		t.Fatalf("%d sessions; want 101", n)
	}
	if _, err := ms.Cleanup(context.Background(), clock.now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := ms.Len(); n != 1 {
		t.Fatalf("an hour later %d sessions are left; want the returning visitor's only", n)
	}
	// RememberMe asks for the long life at once.
	h.jar = map[string]*http.Cookie{}
	app := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).RememberMe(30 * 24 * time.Hour)
	}))
	h.doHandler(app, "GET", "/")
	found := false
	for _, e := range allEntries(ms) {
		found = found || near(e.deadline, clock.now().Add(30*24*time.Hour))
	}
	if !found {
		t.Errorf("a RememberMe session did not get its 30 days: %v", allEntries(ms))
	}
}

func near(a, b time.Time) bool { return a.Sub(b).Abs() < 2*time.Second }

// BenchmarkOneShotVisitors is the figure of 100,000 visitors who each
// send one cookieless /count and never come back: the MemoryStore heap
// they hold at once, and an hour later after the cleanup (FirstTimeout,
// 30 minutes by default, has passed).
func BenchmarkOneShotVisitors(b *testing.B) {
	const visitors = 100_000
	for b.Loop() {
		clock := &fakeClock{t: time.Now()}
		ms := NewMemoryStore()
		m, err := New(ms, Config{SecretKeys: []string{testKey}, Initializer: map[string]any{"count": 0}, CleanupInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		m.now = clock.now
		h := m.Middleware(testMux())
		before := heap()
		for range visitors {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/count", nil))
		}
		during := heap()
		if _, err := ms.Cleanup(context.Background(), clock.now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		after := heap()
		b.ReportMetric(float64(ms.Len()), "sessions-after-1h")
		b.ReportMetric(float64(during-before)/1e6, "MB-at-once")
		b.ReportMetric(max(0, float64(after)-float64(before))/1e6, "MB-after-1h")
		m.Close()
	}
}

// heap returns the bytes of live heap objects, after a collection.
func heap() uint64 {
	runtime.GC()
	var st runtime.MemStats
	runtime.ReadMemStats(&st)
	return st.HeapAlloc
}
