package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

func testApp(t *testing.T) http.Handler {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("SECRET_KEY", "visits-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	return app
}

// wantCounts checks that a page shows the given counts.
func wantCounts(t *testing.T, r *webtest.Response, visits, clicks string) {
	t.Helper()
	for _, want := range []string{"Number of visits: " + visits + "<", "Number of clicks: " + clicks + "<"} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("page lacks %q:\n%v", want, r)
		}
	}
}

func TestVisitsAndClicks(t *testing.T) {
	b := webtest.New(t, testApp(t))
	visit := func(visits, clicks string) {
		t.Helper()
		r := b.Get("/")
		if r.Status != http.StatusOK {
			t.Fatalf("GET /:\n%v", r)
		}
		wantCounts(t, r, visits, clicks)
	}
	clickButton := func(visits, clicks string) {
		t.Helper()
		// The form's POST; the client follows the 303 with a GET, as a
		// browser does.
		r := b.PostForm("/click", nil)
		if r.Status != http.StatusOK || r.Request.Method != http.MethodGet || r.Request.URL.Path != "/" {
			t.Fatalf("POST /click ended at %s %s:\n%v", r.Request.Method, r.Request.URL, r)
		}
		wantCounts(t, r, visits, clicks)
	}
	visit("1", "0")
	visit("2", "0")
	clickButton("3", "1") // the page after the redirect is a visit too
	clickButton("4", "2")
	visit("5", "2")
	visit("6", "2")
	clickButton("7", "3")
}

func TestBrowsersDoNotShare(t *testing.T) {
	app := testApp(t)
	ann, bob := webtest.New(t, app), webtest.New(t, app)
	for range 3 {
		ann.Get("/")
	}
	ann.PostForm("/click", nil)
	wantCounts(t, bob.Get("/"), "1", "0")
	wantCounts(t, bob.PostForm("/click", nil), "2", "1")
	r := ann.Get("/")
	wantCounts(t, r, "5", "1")

	// The page shows the start of the id and never the whole of it.
	ck := ann.Cookie(session.DefaultCookieName)
	if ck == nil {
		t.Fatal("ann's jar holds no session cookie")
	}
	id, _, _ := strings.Cut(ck.Value, ".")
	if len(id) < 36 || strings.Contains(r.Body, id) || !strings.Contains(r.Body, id[:8]+"…") {
		t.Fatalf("page shows the id %q wrongly:\n%s", id, r.Body)
	}
}

// The POST-redirect-GET flow as the HTTP exchange shows it.
func TestClickRedirectsWithSeeOther(t *testing.T) {
	b := webtest.New(t, testApp(t))
	r := b.NoFollow().PostForm("/click", nil)
	if r.Status != http.StatusSeeOther || r.Location() != "/" {
		t.Fatalf("POST /click:\n%v", r)
	}
	if sid := r.Cookie(session.DefaultCookieName); sid == nil || !sid.HttpOnly {
		t.Fatalf("the first click set no HttpOnly session cookie:\n%v", r)
	}
	wantCounts(t, b.Get("/"), "1", "1")

	// A GET on /click counts nothing: only the form's POST does.
	if r := b.Get("/click"); r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("GET /click:\n%v", r)
	}
	wantCounts(t, b.Get("/"), "2", "1")
}

// The stylesheet and icon are compiled in, and the page links to them.
func TestStaticFiles(t *testing.T) {
	b := webtest.New(t, testApp(t))
	r := b.Get("/")
	for _, link := range []string{`href="/static/style.css"`, `href="/static/favicon.svg"`} {
		if !strings.Contains(r.Body, link) {
			t.Fatalf("the page lacks %s:\n%s", link, r.Body)
		}
	}
	for path, ctype := range map[string]string{"/static/style.css": "text/css; charset=utf-8", "/static/favicon.svg": "image/svg+xml"} {
		if r := b.Get(path); r.Status != http.StatusOK || r.Header.Get("Content-Type") != ctype || r.Body == "" {
			t.Fatalf("GET %s:\n%v", path, r)
		}
	}
	for _, path := range []string{"/static/", "/static/nope.css", "/static/../main.go"} {
		if r := b.Get(path); r.Status != http.StatusNotFound {
			t.Fatalf("GET %s = %d", path, r.Status)
		}
	}
}

// A tampered cookie gets a page with a way back, and the way back works.
func TestTamperedCookie(t *testing.T) {
	b := webtest.New(t, testApp(t))
	b.Header.Set("Accept", "text/html")
	b.Get("/")
	ck := b.Cookie(session.DefaultCookieName)
	b.SetCookie(&http.Cookie{Name: ck.Name, Value: ck.Value[:len(ck.Value)-1] + "x"})
	r := b.Get("/")
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Bad Cookie") || !strings.Contains(r.Body, `<a class="home" href="/">`) {
		t.Fatalf("a tampered cookie:\n%v", r)
	}
	wantCounts(t, b.Get("/"), "1", "0")
}
