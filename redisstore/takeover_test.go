package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/internal/counttest"
	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/internal/outagetest"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
)

// countApp is the count example: /count increments, /peek reads, /reset
// kills. stall, if set, runs in /count between reading and writing the
// count, and in /reset between reading the session and killing it. The
// Manager logs to logs, when given.
func countApp(t *testing.T, store session.Store, cfg session.Config, logs io.Writer, stall func()) http.Handler {
	t.Helper()
	cfg.SecretKeys = []string{testKey}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	return counttest.App(t, store, cfg, stall)
}

// send sends GET path to h with cookie and returns the response.
func send(h http.Handler, path, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mustGet sends GET path and wants 200 with body want. It returns the
// session cookie the response set, or cookie.
func mustGet(t *testing.T, h http.Handler, path, cookie, want string) string {
	t.Helper()
	rec := send(h, path, cookie)
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Fatalf("GET %s = %d %q; want 200 %q", path, rec.Code, rec.Body.String(), want)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == session.DefaultCookieName {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	return cookie
}

// proxiedPair returns a store whose client goes through a fault proxy,
// with the options the README recommends and opts, as this instance's,
// and one over the same keys with a direct client, as another
// instance's.
func proxiedPair(t *testing.T, opts ...redisstore.Option) (*faultproxy.Proxy, *redis.Client, *redisstore.Store, *redisstore.Store) {
	t.Helper()
	addr := skips.Need(t, servicetest.Redis)
	p, err := faultproxy.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	var raw [6]byte
	rand.Read(raw[:])
	prefix := "test:" + hex.EncodeToString(raw[:]) + ":"
	direct := redis.NewClient(&redis.Options{Addr: addr})
	proxied := redis.NewClient(recommended(p.Addr()))
	t.Cleanup(func() {
		p.Close()
		ctx := context.Background()
		keys, _ := direct.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			direct.Del(ctx, keys...)
		}
		direct.Close()
		proxied.Close()
	})
	mine, err := redisstore.New(proxied, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	other, err := redisstore.New(direct, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return p, proxied, mine, other
}

// Bounds of the takeover test: generous, for a busy machine; they only
// keep a broken test from hanging.
const (
	shortLease = time.Second      // instance A's lease
	patient    = 20 * time.Second // instance B's LockTimeout and StoreTimeout
)

// TestFencedSaveAfterTakeover is issue 13's item 3: a holder frozen for
// longer than its lease must not save after another instance took the
// lock. Two instances (two Managers, as two processes have) share the
// keys; A's client goes through a fault proxy. A's request loads the
// session, taking the lease; Redis freezes for A, so its renewals get no
// answer, and the lease runs out; B takes the lock and increments twice;
// Redis comes back and A's handler sets its count. A's save is refused
// (503, logged), and B's updates stand.
func TestFencedSaveAfterTakeover(t *testing.T) {
	a, b, cookie := frozenHolder(t, "/count")
	mustGet(t, b, "/peek", cookie, "3")  // no update of B's was lost
	mustGet(t, a, "/peek", cookie, "3")  // A's retry sees them
	mustGet(t, a, "/count", cookie, "4") // and A works on
}

// TestFencedKillAfterTakeover: a holder frozen for longer than its lease
// must not kill the session after another instance took the lock and
// saved it, as TestFencedSaveAfterTakeover with /reset for A's request.
// A's Kill is refused (503, logged), and B's session stays, with its
// updates.
func TestFencedKillAfterTakeover(t *testing.T) {
	a, b, cookie := frozenHolder(t, "/reset")
	mustGet(t, b, "/peek", cookie, "3") // B's session was not removed
	mustGet(t, a, "/peek", cookie, "3") // A's retry sees it
	mustGet(t, a, "/reset", cookie, "Reset")
	mustGet(t, b, "/peek", cookie, "0") // and a Kill under a lease that holds works
}

// frozenHolder runs the takeover of the tests above: A's request for
// path loads the session and stalls; Redis freezes for A until B, with
// the lease run out, has taken the lock and counted to 3; then A's
// request goes on. It checks that A's request was refused (503, one line
// logged), and returns the two instances and the session's cookie.
func frozenHolder(t *testing.T, path string) (a, b http.Handler, cookie string) {
	t.Helper()
	p, client, mine, other := proxiedPair(t, redisstore.WithLockLease(shortLease))
	logs := &outagetest.Log{}
	loaded, proceed := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stall := func() { // A's first request, after it read the session
		once.Do(func() {
			close(loaded)
			select {
			case <-proceed:
			case <-time.After(time.Minute): // the test failed before letting it go
			}
		})
	}
	a = countApp(t, mine.Locking(), session.Config{}, logs, stall)
	b = countApp(t, other.Locking(), session.Config{LockTimeout: patient, StoreTimeout: patient}, nil, nil)
	cookie = mustGet(t, b, "/count", "", "1")
	warmUp(t, client)

	answered := make(chan *httptest.ResponseRecorder, 1)
	go func() { answered <- send(a, path, cookie) }()
	select {
	case <-loaded: // A holds the lease and has read count = 1
	case <-time.After(patient):
		t.Fatalf("A's request for %s did not load its session", path)
	}
	p.Freeze()
	start := time.Now()
	mustGet(t, b, "/count", cookie, "2") // waits for A's lease to run out
	t.Logf("B took the lock %v after Redis froze for A (A's lease: %v)", time.Since(start).Round(time.Millisecond), shortLease)
	mustGet(t, b, "/count", cookie, "3")
	p.Resume()
	close(proceed) // A's handler goes on from the 1 it read: sets count = 2, or kills the session

	var rec *httptest.ResponseRecorder
	select {
	case rec = <-answered:
	case <-time.After(patient):
		t.Fatalf("A's request for %s did not answer", path)
	}
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "session changed elsewhere, try again" || rec.Header().Get("Retry-After") == "" {
		t.Errorf("A's stale %s answered %d %q, Retry-After %q; want 503 \"session changed elsewhere, try again\" with Retry-After",
			path, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	if lines := outagetest.Containing(logs.Take(), "level=ERROR"); len(lines) != 1 || !strings.Contains(lines[0], "a save was refused") {
		t.Errorf("A logged %d error line(s) %q; want one, saying a save was refused", len(lines), lines)
	} else {
		t.Logf("A's log: %s", lines[0])
	}
	return a, b, cookie
}
