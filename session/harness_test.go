package session

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "0123456789abcdef0123456789abcdef-test-key"

// countingStore wraps a Store and counts the calls made to it.
type countingStore struct {
	Store
	loads, creates, updates, touches, deletes, cleanups atomic.Int64
	fail                                                atomic.Bool // every call fails
}

var errDown = fmt.Errorf("database is down")

func (c *countingStore) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	c.loads.Add(1)
	if c.fail.Load() {
		return nil, time.Time{}, false, errDown
	}
	return c.Store.Load(ctx, key)
}

func (c *countingStore) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode SaveMode) error {
	if mode == Create {
		c.creates.Add(1)
	} else {
		c.updates.Add(1)
	}
	if c.fail.Load() {
		return errDown
	}
	return c.Store.Save(ctx, key, data, deadline, mode)
}

func (c *countingStore) Touch(ctx context.Context, key string, deadline time.Time) error {
	c.touches.Add(1)
	if c.fail.Load() {
		return errDown
	}
	return c.Store.(Toucher).Touch(ctx, key, deadline)
}

func (c *countingStore) Delete(ctx context.Context, key string) error {
	c.deletes.Add(1)
	if c.fail.Load() {
		return errDown
	}
	return c.Store.Delete(ctx, key)
}

func (c *countingStore) Cleanup(ctx context.Context, now time.Time) (int, error) {
	c.cleanups.Add(1)
	return c.Store.Cleanup(ctx, now)
}

// countingLocker is a countingStore over a Locker, which it keeps.
type countingLocker struct {
	*countingStore
	locker Locker
}

func (c countingLocker) Lock(ctx context.Context, key string) (Lease, error) {
	return c.locker.Lock(ctx, key)
}

func (c *countingStore) ops() int64 {
	return c.loads.Load() + c.creates.Load() + c.updates.Load() + c.touches.Load() + c.deletes.Load()
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness is a Manager in front of a few handlers, and a browser: a cookie
// jar that follows Set-Cookie as a browser does.
type harness struct {
	t      *testing.T
	m      *Manager
	store  *countingStore
	h      http.Handler
	jar    map[string]*http.Cookie
	log    *bytes.Buffer
	logMu  *sync.Mutex
	remote string // RemoteAddr of the requests
	tls    bool
}

// syncWriter serialises writes to the log buffer.
type syncWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newHarnessStore(t, NewMemoryStore(), cfg)
}

func newHarnessStore(t *testing.T, inner Store, cfg Config) *harness {
	t.Helper()
	buf, mu := &bytes.Buffer{}, &sync.Mutex{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(syncWriter{mu, buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.SecretKeys == nil {
		cfg.SecretKeys = []string{testKey}
	}
	if cfg.Initializer == nil && cfg.InitFunc == nil {
		cfg.Initializer = map[string]any{"count": 0}
	}
	store := &countingStore{Store: inner}
	var managed Store = store
	if cs, ok := inner.(*CookieStore); ok {
		managed = cs // the Manager recognises a CookieStore by its type
	}
	if l, ok := inner.(Locker); ok {
		managed = countingLocker{store, l}
	}
	m, err := New(managed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return &harness{t: t, m: m, store: store, h: m.Middleware(testMux()), jar: map[string]*http.Cookie{},
		log: buf, logMu: mu, remote: "192.0.2.1:1234"}
}

// locks returns the lock table of a Manager over a server-side store.
func (m *Manager) locks() *lockTable { return m.backend.(*storeBackend).locks }

func (h *harness) logged() string {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return h.log.String()
}

// testMux holds the handlers the tests drive.
func testMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		n := s.Int("count") + 1
		s.Set("count", n)
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, FromContext(r.Context()).Int("count"))
	})
	mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "no session here")
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := FromContext(r.Context()).Kill(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, "Reset")
	})
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		for k, vs := range r.URL.Query() {
			s.Set(k, vs[0])
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("/renew", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if err := s.RenewID(); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.Set("user", "ann")
		fmt.Fprint(w, "renewed")
	})
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("count", 999)
		http.Error(w, "failed", http.StatusInternalServerError)
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("count", 999)
		panic("handler bug")
	})
	mux.HandleFunc("/id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, FromContext(r.Context()).ID())
	})
	return mux
}

// do sends a request with the jar's cookies and applies the response's
// Set-Cookie headers to the jar.
func (h *harness) do(method, target string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.doHandler(h.h, method, target)
}

func (h *harness) doHandler(handler http.Handler, method, target string) *httptest.ResponseRecorder {
	h.t.Helper()
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = h.remote
	if !h.tls {
		r.TLS = nil
	}
	for _, ck := range h.jar {
		r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	h.absorb(w.Result().Cookies())
	return w
}

func (h *harness) absorb(cookies []*http.Cookie) {
	for _, ck := range cookies {
		if ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(h.jar, ck.Name)
			continue
		}
		h.jar[ck.Name] = ck
	}
}

// cookie returns the session cookie in the jar, or "".
func (h *harness) cookie() string {
	if ck := h.jar[h.m.cfg.CookieName]; ck != nil {
		return ck.Value
	}
	return ""
}

func body(w *httptest.ResponseRecorder) string { return strings.TrimSpace(w.Body.String()) }

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if w.Code != status || body(w) != want {
		t.Fatalf("got %d %q; want %d %q", w.Code, body(w), status, want)
	}
}

// setCookies returns the response's Set-Cookie headers.
func setCookies(w *httptest.ResponseRecorder) []string { return w.Result().Header.Values("Set-Cookie") }
