package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

// skips counts the store tests skipped for want of a server; TestMain
// reports them.
var skips servicetest.Skips

func TestMain(m *testing.M) { os.Exit(skips.Main(m, "examples/count")) }

func newServer(t *testing.T) (http.Handler, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions")
	return newServerOn(t, "", dir), dir
}

func newServerOn(t *testing.T, spec, dir string) http.Handler {
	t.Helper()
	t.Setenv("SECRET_KEY", "count-example-test-key-0123456789abcdef")
	app, stop, err := newApp(spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop() })
	return app
}

// transcript is the curl session of the web.py docs: 1, 2, 3, Reset, 1.
func transcript(t *testing.T, app http.Handler) {
	t.Helper()
	c := webtest.New(t, app)
	for _, step := range []struct{ path, want string }{
		{"/count", "1"}, {"/count", "2"}, {"/count", "3"}, {"/reset", "Reset"}, {"/count", "1"},
	} {
		if r := c.Get(step.path); r.Status != 200 || r.Body != step.want {
			t.Fatalf("GET %s:\n%v\nwant %q", step.path, r, step.want)
		}
		if step.path == "/reset" && c.Cookie(session.DefaultCookieName) != nil {
			t.Fatalf("the jar still holds the cookie after /reset")
		}
	}
}

func TestTranscript(t *testing.T) {
	app, dir := newServer(t)
	transcript(t, app)
	entries, _ := os.ReadDir(dir)
	var sessions []string
	for _, e := range entries {
		if session.ValidKey(e.Name()) { // not secret.key, nor the store's hidden spare files
			sessions = append(sessions, e.Name())
		}
	}
	if len(sessions) != 1 {
		t.Errorf("sessions/ holds %v; want exactly the live session", sessions)
	}
}

// Requests that never touch the session leave nothing behind (web.py
// stores a session for every 404, 405 and HEAD).
func TestNoSessionForNotFoundOrWrongMethod(t *testing.T) {
	app, dir := newServer(t)
	c := webtest.New(t, app)
	if r := c.Get("/nope"); r.Status != 404 {
		t.Fatalf("/nope:\n%v", r)
	}
	r := c.PostForm("/count", nil)
	if r.Status != 405 || r.Header.Get("Allow") != "GET, HEAD, OPTIONS" || len(c.Cookies()) != 0 {
		t.Fatalf("POST /count:\n%v", r)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if session.ValidKey(e.Name()) {
			t.Errorf("a session was stored: %s", e.Name())
		}
	}
}

func TestFiftyParallelCounts(t *testing.T) {
	app, _ := newServer(t)
	c := webtest.New(t, app)
	c.Get("/count")
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { c.Get("/count") })
	}
	wg.Wait()
	if r := c.Get("/count"); r.Body != "52" {
		t.Fatalf("count = %s; want 52", r.Body)
	}
}

// A browser that sends a tampered cookie gets a page with a way back;
// curl gets the plain "Bad Cookie" of the README.
func TestTamperedCookie(t *testing.T) {
	app, _ := newServer(t)
	for _, tc := range []struct{ accept, want string }{{"*/*", "Bad Cookie"}, {"text/html", `<a class="again" href="/count">`}} {
		c := webtest.New(t, app)
		c.Header.Set("Accept", tc.accept)
		c.Get("/count")
		ck := c.Cookie(session.DefaultCookieName)
		c.SetCookie(&http.Cookie{Name: ck.Name, Value: "00000000-0000-4000-8000-000000000000" + ck.Value[36:]})
		r := c.Get("/count")
		if r.Status != http.StatusBadRequest || (tc.accept == "*/*" && r.Body != tc.want) || !strings.Contains(r.Body, tc.want) {
			t.Fatalf("a forged id, Accept %s:\n%v", tc.accept, r)
		}
		if r := c.Get("/count"); r.Body != "1" {
			t.Fatalf("after the bad cookie:\n%v", r)
		}
	}
}

// The same transcript on every store SESSION_STORE can name; the servers
// come from the environment variables the store tests use, and a store
// whose server is not named is skipped and counted (see TestMain).
func TestTranscriptOnEveryStore(t *testing.T) {
	stores := []struct {
		name string
		spec func(t *testing.T) string // skips t when the store is not at hand
	}{
		{"sqlite", func(t *testing.T) string {
			if !dbstore.SQLiteAvailable() {
				skips.Skip(t, servicetest.SQLite, "this test binary was built with CGO_ENABLED=0")
			}
			return "sqlite:" + filepath.Join(t.TempDir(), "sessions.db")
		}},
		{"memory", func(*testing.T) string { return "memory" }},
		{"cookie", func(*testing.T) string { return "cookie" }},
		{"postgres", func(t *testing.T) string { return skips.Need(t, servicetest.PostgreSQL) }},
		{"mysql", func(t *testing.T) string { return "mysql:" + skips.Need(t, servicetest.MySQL) }},
		{"redis", func(t *testing.T) string { return "redis://" + skips.Need(t, servicetest.Redis) }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			transcript(t, newServerOn(t, st.spec(t), t.TempDir()))
		})
	}
	if _, _, err := openStore("floppy", ""); err == nil {
		t.Error("an unknown SESSION_STORE was accepted")
	}
}
