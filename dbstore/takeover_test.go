package dbstore_test

import (
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/outagetest"
	"github.com/gowebpy/web/session"
)

// stallable returns a store over a database this test can freeze, as
// this process's, and a store over the same table with a direct pool, as
// another process's. A server is frozen through a fault proxy; SQLite,
// which has none, through a driver whose statements wait before they
// reach the file. After freeze, nothing the first store sends gets an
// answer until resume.
func stallable(t *testing.T, b backend, opts ...dbstore.Option) (mine, other *dbstore.Store, freeze, resume func()) {
	t.Helper()
	dsn := b.dsn(t)
	other = newStore(t, openDSN(t, b.dialect, dsn)) // creates the table, and drops it at the end
	var db *sql.DB
	if b.dialect == dbstore.SQLite {
		var p *probe
		db, p = openWrapped(t, b.dialect, dsn)
		freeze, resume = p.stall, p.resume
		opts = append(opts, dbstore.WithDialect(dbstore.SQLite))
	} else {
		proxied, p := throughProxy(t, b, dsn)
		db = openDSN(t, b.dialect, proxied)
		db.SetMaxOpenConns(poolSize)
		db.SetMaxIdleConns(poolSize)
		freeze, resume = p.Freeze, p.Resume
	}
	mine, err := dbstore.New(db, other.Table(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resume(); mine.Close() })
	return mine, other, freeze, resume
}

// Bounds of the takeover test: generous, for a busy machine; they only
// keep a broken test from hanging.
const (
	shortLease = time.Second      // instance A's lease: the shortest dbstore allows
	patient    = 20 * time.Second // instance B's LockTimeout and StoreTimeout
)

// TestFencedSaveAfterTakeover is issue 13's item 3: a holder frozen for
// longer than its lease must not save after another instance took the
// lock. Two instances (two Managers, as two processes have) share the
// table; A's database connections go through a fault proxy. A's request
// loads the session, taking the lease; A's database freezes, so its
// renewals get no answer, and the lease runs out; B takes the lock and
// increments twice; the database comes back and A's handler sets its
// count. A's save is refused (503, logged), and B's updates stand.
func TestFencedSaveAfterTakeover(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a, bInst := frozenHolder(t, b, "/count")
			bInst.mustGet(t, "/peek", "3") // no update of B's was lost
			a.mustGet(t, "/peek", "3")     // A's retry sees them
			a.mustGet(t, "/count", "4")    // and A works on
		})
	}
}

// TestFencedKillAfterTakeover: a holder frozen for longer than its lease
// must not kill the session after another instance took the lock and
// saved it, as TestFencedSaveAfterTakeover with /reset for A's request.
// A's Kill is refused (503, logged), and B's session stays, with its
// updates.
func TestFencedKillAfterTakeover(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			a, bInst := frozenHolder(t, b, "/reset")
			bInst.mustGet(t, "/peek", "3") // B's session was not removed
			a.mustGet(t, "/peek", "3")     // A's retry sees it
			a.mustGet(t, "/reset", "Reset")
			bInst.mustGet(t, "/peek", "0") // and a Kill under a lease that holds works
		})
	}
}

// frozenHolder runs the takeover of the tests above: A's request for
// path loads the session and stalls; A's database freezes until B, with
// the lease run out, has taken the lock and counted to 3; then A's
// request goes on. It checks that A's request was refused (503, one line
// logged), and returns the two instances' clients on the session.
func frozenHolder(t *testing.T, b backend, path string) (a, bInst *client) {
	t.Helper()
	mine, other, freeze, resume := stallable(t, b, dbstore.WithLockLease(shortLease))
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
	a = &client{h: countApp(t, mine.Locking(), session.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}, stall)}
	bInst = &client{h: countApp(t, other.Locking(), session.Config{LockTimeout: patient, StoreTimeout: patient}, nil)}
	bInst.mustGet(t, "/count", "1")
	a.cookie = bInst.cookie

	answered := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Cookie", a.cookie)
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		answered <- rec
	}()
	select {
	case <-loaded: // A holds the lease and has read count = 1
	case <-time.After(patient):
		t.Fatalf("A's request for %s did not load its session", path)
	}
	freeze()
	start := time.Now()
	bInst.mustGet(t, "/count", "2") // waits for A's lease to run out
	t.Logf("B took the lock %v after A's database froze (A's lease: %v)", time.Since(start).Round(time.Millisecond), shortLease)
	bInst.mustGet(t, "/count", "3")
	resume()
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
	lines := outagetest.Containing(logs.Take(), "level=ERROR")
	if len(lines) != 1 || !strings.Contains(lines[0], "a save was refused") {
		t.Errorf("A logged %d error line(s) %q; want one, saying a save was refused", len(lines), lines)
	} else {
		t.Logf("A's log: %s", lines[0])
	}
	return a, bInst
}
