package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/session"
)

// skips counts the store tests skipped for want of a server; TestMain
// reports them.
var skips servicetest.Skips

func TestMain(m *testing.M) { os.Exit(skips.Main(m, "examples/count")) }

func newServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions")
	return newServerOn(t, "", dir), dir
}

func newServerOn(t *testing.T, spec, dir string) *httptest.Server {
	t.Helper()
	t.Setenv("SECRET_KEY", "count-example-test-key-0123456789abcdef")
	app, stop, err := newApp(spec, dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(func() { srv.Close(); stop() })
	return srv
}

func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The curl session of the web.py docs: 1, 2, 3, Reset, 1.
func TestTranscript(t *testing.T) {
	srv, dir := newServer(t)
	c := browser(t)
	for _, step := range []struct{ path, want string }{
		{"/count", "1"}, {"/count", "2"}, {"/count", "3"}, {"/reset", "Reset"}, {"/count", "1"},
	} {
		if code, body := get(t, c, srv.URL+step.path); code != 200 || body != step.want {
			t.Fatalf("GET %s = %d %q; want %q", step.path, code, body, step.want)
		}
	}
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
	srv, dir := newServer(t)
	c := browser(t)
	if code, _ := get(t, c, srv.URL+"/nope"); code != 404 {
		t.Fatalf("/nope = %d", code)
	}
	resp, err := c.Post(srv.URL+"/count", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, OPTIONS" || len(resp.Cookies()) != 0 {
		t.Fatalf("POST /count = %d, Allow %q, cookies %v", resp.StatusCode, resp.Header.Get("Allow"), resp.Cookies())
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if session.ValidKey(e.Name()) {
			t.Errorf("a session was stored: %s", e.Name())
		}
	}
}

func TestFiftyParallelCounts(t *testing.T) {
	srv, _ := newServer(t)
	c := browser(t)
	get(t, c, srv.URL+"/count")
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(srv.URL + "/count")
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	if _, body := get(t, c, srv.URL+"/count"); body != "52" {
		t.Fatalf("count = %s; want 52", body)
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
			srv := newServerOn(t, st.spec(t), t.TempDir())
			c := browser(t)
			for _, step := range []struct{ path, want string }{
				{"/count", "1"}, {"/count", "2"}, {"/count", "3"}, {"/reset", "Reset"}, {"/count", "1"},
			} {
				if code, body := get(t, c, srv.URL+step.path); code != 200 || body != step.want {
					t.Fatalf("GET %s = %d %q; want %q", step.path, code, body, step.want)
				}
			}
		})
	}
	if _, _, err := openStore("floppy", ""); err == nil {
		t.Error("an unknown SESSION_STORE was accepted")
	}
}
