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

	"github.com/gowebpy/web/session"
)

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
// come from the environment variables the store tests use.
func TestTranscriptOnEveryStore(t *testing.T) {
	specs := map[string]string{
		"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "sessions.db"),
		"memory": "memory",
		"cookie": "cookie",
	}
	if dsn := os.Getenv("TEST_POSTGRES_DSN"); dsn != "" {
		specs["postgres"] = dsn
	}
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		specs["mysql"] = "mysql:" + dsn
	}
	if addr := os.Getenv("TEST_REDIS_ADDR"); addr != "" {
		specs["redis"] = "redis://" + addr
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			srv := newServerOn(t, spec, t.TempDir())
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
