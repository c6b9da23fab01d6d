package web_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

// browserAccept is what Chromium sends for a navigation.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

type stale struct{}

func (stale) POST(c *web.Context) (any, error) {
	return nil, web.HTTPError(http.StatusForbidden, "This form has expired: go back, reload the page and try again.")
}

type broken struct{}

func (broken) GET(c *web.Context) (any, error) { return nil, errors.New("the database said no") }

type whoami struct{}

func (whoami) GET(c *web.Context) (any, error) { return c.Session().String("user"), nil }

func errorApp(t *testing.T) *web.Application {
	t.Helper()
	app, err := web.New(web.URLs{"/form", stale{}, "/broken", broken{}})
	if err != nil {
		t.Fatal(err)
	}
	app.Logger = discardLogger()
	return app
}

func TestErrorPagesForCurlAreText(t *testing.T) {
	c := webtest.New(t, errorApp(t))
	c.Header.Set("Accept", "*/*") // curl's
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/nope", 404, "not found"},
		{"GET", "/form", 405, "method not allowed"},
		{"POST", "/form", 403, "This form has expired: go back, reload the page and try again."},
		{"GET", "/broken", 500, "internal server error"},
	} {
		req, _ := http.NewRequest(tc.method, tc.path, nil)
		r := c.Do(req)
		if r.Status != tc.status || r.Body != tc.body || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" || r.Header.Get("Vary") != "Accept" {
			t.Errorf("%s %s:\n%v", tc.method, tc.path, r)
		}
	}
	// No Accept at all, and an Accept that refuses HTML, are text too.
	c.Header.Del("Accept")
	if r := c.Get("/nope"); r.Body != "not found" {
		t.Errorf("no Accept: %v", r)
	}
	c.Header.Set("Accept", "text/html;q=0, text/plain")
	if r := c.Get("/nope"); r.Body != "not found" {
		t.Errorf("text/html;q=0: %v", r)
	}
}

func TestErrorPagesForBrowsersAreHTML(t *testing.T) {
	c := webtest.New(t, errorApp(t))
	c.Header.Set("Accept", browserAccept)
	for _, tc := range []struct {
		method, path string
		status       int
		want         []string
	}{
		{"GET", "/nope/<b>", 404, []string{"<title>404 Not Found</title>", "There is no page at /nope/&lt;b&gt;."}},
		{"GET", "/form", 405, []string{"405", "Method Not Allowed", "/form does not answer GET; it answers POST, OPTIONS."}},
		{"POST", "/form", 403, []string{"403", "Forbidden", "This form has expired: go back, reload the page and try again."}},
		{"GET", "/broken", 500, []string{"500", "Internal Server Error", "Something went wrong on the server."}},
	} {
		req, _ := http.NewRequest(tc.method, tc.path, nil)
		r := c.Do(req)
		if r.Status != tc.status || r.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(r.Body, `<a class="home" href="/">Go to the home page</a>`) {
			t.Errorf("%s %s:\n%v", tc.method, tc.path, r)
		}
		for _, want := range tc.want {
			if !strings.Contains(r.Body, want) {
				t.Errorf("%s %s lacks %q:\n%s", tc.method, tc.path, want, r.Body)
			}
		}
		if strings.Contains(r.Body, "database") || strings.Contains(r.Body, "<b>") {
			t.Errorf("%s %s shows what it must not:\n%s", tc.method, tc.path, r.Body)
		}
	}
	head, _ := http.NewRequest(http.MethodHead, "/nope", nil)
	if r := c.Do(head); r.Status != 404 || r.Body != "" {
		t.Errorf("HEAD /nope: %v", r)
	}
}

// The way back is the page the form was on, when it is of this site.
func TestErrorPageLinksBack(t *testing.T) {
	c := webtest.New(t, errorApp(t))
	c.Header.Set("Accept", browserAccept)
	for _, tc := range []struct{ referer, want string }{
		{"http://example.com/account?tab=2", `<a class="back" href="/account?tab=2">Back to the page you came from</a>`},
		{"http://evil.example/account", ""},
		{"javascript:alert(1)", ""},
		{"http://example.com//evil.example/x", ""},
		{"http://example.com/form", ""}, // the page that failed
	} {
		req, _ := http.NewRequest(http.MethodPost, "/form", nil)
		req.Header.Set("Referer", tc.referer)
		r := c.Do(req)
		has := strings.Contains(r.Body, "Back to the page you came from")
		if tc.want == "" && has || tc.want != "" && !strings.Contains(r.Body, tc.want) {
			t.Errorf("Referer %q:\n%s", tc.referer, r.Body)
		}
	}
}

// A mounted application links to its own root.
func TestErrorPageOfAMountLinksToItsRoot(t *testing.T) {
	app, err := web.New(web.URLs{"/blog", errorApp(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := webtest.New(t, app)
	c.Header.Set("Accept", "text/html")
	if r := c.Get("/blog/nope"); r.Status != 404 || !strings.Contains(r.Body, `<a class="home" href="/blog/">`) {
		t.Fatalf("GET /blog/nope:\n%v", r)
	}
}

func sessionApp(t *testing.T, cfg session.Config, handler any) *web.Application {
	t.Helper()
	app, err := web.New(web.URLs{"/", handler})
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretKeys = []string{"error-page-test-key-0123456789abcdef"}
	cfg.ErrorHandler = web.SessionErrorPage(cfg)
	cfg.Logger = discardLogger()
	m, err := session.New(session.NewMemoryStore(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	app.Use(m.Middleware)
	return app
}

func TestSessionErrorPage(t *testing.T) {
	app := sessionApp(t, session.Config{}, whoami{})
	curl := webtest.New(t, app)
	curl.SetCookie(&http.Cookie{Name: "sid", Value: "forged"})
	r := curl.Get("/")
	if r.Status != 400 || r.Body != "Bad Cookie" || r.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		r.Header.Get("Cache-Control") != "no-store" || r.Cookie("sid") == nil || r.Cookie("sid").MaxAge >= 0 {
		t.Fatalf("a forged cookie, for curl:\n%v", r)
	}
	b := webtest.New(t, app)
	b.Header.Set("Accept", browserAccept)
	b.SetCookie(&http.Cookie{Name: "sid", Value: "forged"})
	r = b.Get("/")
	if r.Status != 400 || !strings.Contains(r.Body, "<title>400 Bad Cookie</title>") || !strings.Contains(r.Body, `<a class="again" href="/">`) ||
		r.Header.Get("Content-Type") != "text/html; charset=utf-8" || r.Cookie("sid") == nil || r.Cookie("sid").MaxAge >= 0 {
		t.Fatalf("a forged cookie, for a browser:\n%v", r)
	}
	// The way back works: the cookie is gone.
	if r := b.Get("/"); r.Status != 200 {
		t.Fatalf("after the bad cookie page:\n%v", r)
	}
}

func TestSessionErrorPageExpired(t *testing.T) {
	// A validly signed id that the store does not hold: the session of
	// another store signed with the same key.
	signer := sessionApp(t, session.Config{}, setUser{})
	expired := sessionApp(t, session.Config{IgnoreExpiry: session.No, ExpiredMessage: "Your session ended.", ExpiredStatus: 410, Path: "/app/"}, whoami{})
	for _, tc := range []struct{ accept, ctype, want string }{
		{"*/*", "text/plain; charset=utf-8", "Your session ended."},
		{browserAccept, "text/html; charset=utf-8", "Your session ended. Your browser has been told"},
	} {
		c := webtest.New(t, signer)
		c.Get("/")
		sid := c.Cookie("sid")
		c = webtest.New(t, expired)
		c.Header.Set("Accept", tc.accept)
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.AddCookie(sid)
		r := c.Do(req)
		if r.Status != 410 || r.Header.Get("Content-Type") != tc.ctype || !strings.Contains(r.Body, tc.want) {
			t.Fatalf("an expired session, Accept %s:\n%v", tc.accept, r)
		}
		if tc.ctype == "text/plain; charset=utf-8" && r.Body != tc.want {
			t.Fatalf("the plain answer is %q", r.Body)
		}
		if strings.HasPrefix(tc.ctype, "text/html") && !strings.Contains(r.Body, `<a class="home" href="/app/">`) {
			t.Fatalf("the page does not link to the session's path:\n%s", r.Body)
		}
	}
}

type setUser struct{}

func (setUser) GET(c *web.Context) (any, error) { return "ok", c.Session().Set("user", "ann") }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// downStore is a store whose every operation fails, as a database that
// refuses connections does.
type downStore struct{ *session.MemoryStore }

func (downStore) Load(context.Context, string) ([]byte, time.Time, bool, error) {
	return nil, time.Time{}, false, errors.New("connection refused")
}

func (downStore) Save(context.Context, string, []byte, time.Time, session.SaveMode) error {
	return errors.New("connection refused")
}

func TestSessionErrorPageStoreDown(t *testing.T) {
	app, err := web.New(web.URLs{"/", setUser{}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.Config{SecretKeys: []string{"error-page-test-key-0123456789abcdef"}, Logger: discardLogger()}
	cfg.ErrorHandler = web.SessionErrorPage(cfg)
	m, err := session.New(downStore{session.NewMemoryStore()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	app.Use(m.Middleware)
	for _, accept := range []string{"*/*", browserAccept} {
		c := webtest.New(t, app)
		c.Header.Set("Accept", accept)
		r := c.Get("/")
		if r.Status != 503 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "try again") {
			t.Fatalf("a store that is down, Accept %s:\n%v", accept, r)
		}
	}
}
