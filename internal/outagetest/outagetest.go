// Package outagetest drives a session.Manager through store outages made
// with a fault proxy (internal/faultproxy) and checks what issue 13 asks
// of it, the same way for every store with a server:
//
//   - with the server frozen, concurrent requests (new visitors, and a
//     returning visitor's) are each answered 503 with Retry-After within
//     the Manager's StoreTimeout and a margin: none hangs, and the
//     client's pool stays within its limit;
//   - after Resume, the returning visitor's next request succeeds at
//     once, so the lock attempts sent during the freeze left no lease;
//   - with the server refusing, requests are answered 503 within
//     StoreTimeout and a margin too, and before StoreTimeout when the
//     client fails fast (Target.RefusalFailsFast), and recovery is as
//     quick;
//   - each outage is logged as one ERROR line "store failed" and one
//     line "store recovered" (no summary: it lasts less than 10 s).
//
// A store's test builds the Manager, with Config.StoreTimeout and a
// Logger that writes to a Log, over a client that goes through the
// proxy, and calls Run.
package outagetest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/session"
)

// Bounds: generous, for a busy machine. They tell a request that is
// answered by its deadline from one that hangs, and a store that heals
// from one that stays broken; they time nothing.
const (
	// Margin is how late after StoreTimeout a request may be answered.
	Margin = 3 * time.Second
	// Healed is how soon after Resume a request must succeed.
	Healed = 3 * time.Second
	// Requests is how many requests meet each outage at once.
	Requests = 20
	// Returning is how many of them carry the returning visitor's cookie;
	// the others are new visitors. A session's requests queue in a
	// process behind the one waiting for the store, and fail with it, so
	// they too are answered within StoreTimeout and Margin.
	Returning = 3
)

// Target is a Manager under test and the fault proxy between its store's
// client and the server.
type Target struct {
	// Handler is the count example through the Manager: GET /count
	// increments the session's count and answers it.
	Handler http.Handler
	// Log receives what the Manager logs.
	Log *Log
	// Proxy stands between the store's client and its server.
	Proxy *faultproxy.Proxy
	// StoreTimeout is the Manager's Config.StoreTimeout.
	StoreTimeout time.Duration
	// Conns returns how many connections the client's pool holds now,
	// and PoolSize is its limit.
	Conns    func() int
	PoolSize int
	// RefusalFailsFast says that the client gives up on a refused
	// connection at once, as database/sql's drivers do, so that every
	// request is answered before StoreTimeout and the failure logged is
	// no timeout. go-redis retries (Options.MaxRetries, 3 by default), and
	// 20 requests that retry queue up for the pool's few connections, so
	// some wait out StoreTimeout.
	RefusalFailsFast bool
}

// Run drives t's Manager through a freeze and a refusal of the server,
// each followed by Resume, and checks what the package doc says.
func Run(t *testing.T, tg Target) {
	t.Helper()
	v := &visitor{h: tg.Handler}
	v.count(t, "1")
	v.count(t, "2") // the statements or scripts of a returning visitor are ready
	tg.Log.Take()

	start := time.Now()
	tg.Proxy.Freeze()
	tg.flood(t, "frozen", v.cookie, tg.StoreTimeout+Margin)
	tg.Proxy.Resume()
	tg.recovered(t, v, "3")
	tg.logged(t, "frozen", time.Since(start), timedOut)

	start = time.Now()
	tg.Proxy.Refuse()
	bound, cause := tg.StoreTimeout+Margin, either
	if tg.RefusalFailsFast {
		// A request of the returning visitor waits for the one before
		// it, which fails at once too.
		bound, cause = tg.StoreTimeout, refused
	}
	tg.flood(t, "refused", v.cookie, bound)
	tg.Proxy.Resume()
	tg.recovered(t, v, "4")
	tg.logged(t, "refused", time.Since(start), cause)
}

// cause is what the failure logged for an outage must say.
type cause uint8

const (
	either   cause = iota
	timedOut       // no answer within StoreTimeout
	refused        // anything but that
)

// flood sends Requests requests at once, Returning of them with cookie,
// and wants each answered 503 with Retry-After within bound, while the
// pool stays within its limit.
func (tg Target) flood(t *testing.T, fault, cookie string, bound time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	slowest := map[bool]time.Duration{}
	conns := 0
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the pool's size while they wait
		defer close(sampled)
		for {
			n := tg.Conns()
			mu.Lock()
			conns = max(conns, n)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	for i := range Requests {
		returning := i < Returning
		if i == Returning {
			// The returning visitor's first request goes out first, on
			// the connection its earlier requests left ready, so that its
			// lock attempt reaches the server, late: the lease it would
			// leave is what recovered looks for.
			time.Sleep(100 * time.Millisecond)
		}
		wg.Go(func() {
			c := ""
			if returning {
				c = cookie
			}
			start := time.Now()
			rec := get(tg.Handler, c)
			took := time.Since(start)
			mu.Lock()
			slowest[returning] = max(slowest[returning], took)
			mu.Unlock()
			if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
				t.Errorf("%s: a request (returning: %v) = %d %q, Retry-After %q; want 503 with Retry-After",
					fault, returning, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
			}
			if took > bound {
				t.Errorf("%s: a request (returning: %v) was answered after %v; want it within %v (StoreTimeout is %v)",
					fault, returning, took.Round(time.Millisecond), bound, tg.StoreTimeout)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("%s: %d requests at once, all 503: the slowest new visitor answered after %v, the slowest of %d returning after %v; at most %d connections in the pool (limit %d)",
		fault, Requests, slowest[false].Round(time.Millisecond), Returning, slowest[true].Round(time.Millisecond), conns, tg.PoolSize)
	if conns > tg.PoolSize {
		t.Errorf("%s: %d connections in the pool; its limit is %d", fault, conns, tg.PoolSize)
	}
}

// recovered wants the returning visitor's next request served, with the
// count want, within Healed of Resume: had a lock attempt of the outage
// left a lease, it would wait that lease out. A new visitor is served too.
func (tg Target) recovered(t *testing.T, v *visitor, want string) {
	t.Helper()
	start := time.Now()
	// A loaded machine (the race detector, other packages' tests) can
	// make the first round trip after Resume outlast a short StoreTimeout:
	// the store is healed when a request succeeds within Healed, and a
	// lease left behind would still keep every one of them waiting.
	for {
		rec := get(v.h, v.cookie)
		if rec.Code == http.StatusServiceUnavailable && strings.Contains(rec.Body.String(), "unavailable") && time.Since(start) < Healed {
			continue
		}
		v.take(t, rec, want)
		break
	}
	took := time.Since(start)
	t.Logf("after Resume, the returning visitor was served in %v", took.Round(time.Millisecond))
	if took > Healed {
		t.Errorf("the returning visitor's first request after Resume took %v; a lease left behind?", took.Round(time.Millisecond))
	}
	(&visitor{h: tg.Handler}).count(t, "1")
}

// logged wants the outage that lasted d in one ERROR line "store failed",
// whose cause is want, and one line "store recovered": no summary, unless
// 10 s passed.
func (tg Target) logged(t *testing.T, fault string, d time.Duration, want cause) {
	t.Helper()
	lines := tg.Log.Take()
	var failed, recovered, others []string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "store failed"):
			failed = append(failed, l)
		case strings.Contains(l, "store recovered"):
			recovered = append(recovered, l)
		case strings.Contains(l, "store still failing") && d >= 10*time.Second:
		default:
			others = append(others, l)
		}
	}
	for _, l := range lines {
		t.Logf("%s: log: %s", fault, l)
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "level=ERROR") {
		t.Errorf("%s: %d \"store failed\" lines; want one, at level ERROR", fault, len(failed))
	} else if said := strings.Contains(failed[0], "no answer within"); want != either && said != (want == timedOut) {
		t.Errorf("%s: the failure logged says a timeout: %v; want %v", fault, said, want == timedOut)
	}
	if len(recovered) != 1 {
		t.Errorf("%s: %d \"store recovered\" lines; want one", fault, len(recovered))
	}
	if len(others) != 0 {
		t.Errorf("%s: other lines logged: %q", fault, others)
	}
}

// visitor is a client with a cookie jar of one session.
type visitor struct {
	h      http.Handler
	cookie string
}

// count sends GET /count and wants 200 with the count want.
func (v *visitor) count(t *testing.T, want string) {
	t.Helper()
	v.take(t, get(v.h, v.cookie), want)
}

// take wants rec to answer want, and keeps the cookie it sets.
func (v *visitor) take(t *testing.T, rec *httptest.ResponseRecorder, want string) {
	t.Helper()
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Fatalf("GET /count = %d %q; want 200 %q", rec.Code, rec.Body.String(), want)
	}
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == session.DefaultCookieName {
			v.cookie = ck.Name + "=" + ck.Value
		}
	}
}

// get sends GET /count with cookie.
func get(h http.Handler, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/count", nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Log collects a Manager's log lines; give it to slog.NewTextHandler. It
// is safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Take returns the lines logged since the last Take, and forgets them.
func (l *Log) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimSpace(l.buf.String())
	l.buf.Reset()
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Containing returns the lines that contain every one of want.
func Containing(lines []string, want ...string) []string {
	var found []string
next:
	for _, line := range lines {
		for _, w := range want {
			if !strings.Contains(line, w) {
				continue next
			}
		}
		found = append(found, line)
	}
	return found
}
