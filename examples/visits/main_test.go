package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
)

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	t.Setenv("SECRET_KEY", "visits-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(func() { srv.Close(); sessions.Close() })
	return srv
}

// browser is a client with a cookie jar that follows redirects, as a
// browser does.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// get sends a GET with c and returns the status, body and final URL.
func get(t *testing.T, c *http.Client, target string) (int, string, *url.URL) {
	t.Helper()
	resp, err := c.Get(target)
	return read(t, resp, err)
}

// post submits an empty form with c, as the page's button does.
func post(t *testing.T, c *http.Client, target string) (int, string, *url.URL) {
	t.Helper()
	resp, err := c.PostForm(target, nil)
	return read(t, resp, err)
}

// read returns the status, body and final URL of resp.
func read(t *testing.T, resp *http.Response, err error) (int, string, *url.URL) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Request.URL
}

// wantCounts checks that a page shows the given counts.
func wantCounts(t *testing.T, body string, visits, clicks string) {
	t.Helper()
	for _, want := range []string{"Number of visits: " + visits + "<", "Number of clicks: " + clicks + "<"} {
		if !strings.Contains(body, want) {
			t.Fatalf("page lacks %q:\n%s", want, body)
		}
	}
}

func TestVisitsAndClicks(t *testing.T) {
	srv := newServer(t)
	b := browser(t)
	visit := func(visits, clicks string) {
		t.Helper()
		code, body, _ := get(t, b, srv.URL+"/")
		if code != http.StatusOK {
			t.Fatalf("GET / = %d", code)
		}
		wantCounts(t, body, visits, clicks)
	}
	clickButton := func(visits, clicks string) {
		t.Helper()
		// The form's POST; the client follows the 303 with a GET, as a
		// browser does.
		code, body, final := post(t, b, srv.URL+"/click")
		if code != http.StatusOK || final.Path != "/" {
			t.Fatalf("POST /click ended at %s with %d", final, code)
		}
		wantCounts(t, body, visits, clicks)
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
	srv := newServer(t)
	ann, bob := browser(t), browser(t)
	for range 3 {
		get(t, ann, srv.URL+"/")
	}
	post(t, ann, srv.URL+"/click")
	_, body, _ := get(t, bob, srv.URL+"/")
	wantCounts(t, body, "1", "0")
	_, body, _ = post(t, bob, srv.URL+"/click")
	wantCounts(t, body, "2", "1")
	_, body, _ = get(t, ann, srv.URL+"/")
	wantCounts(t, body, "5", "1")

	// The page shows the start of the id and never the whole of it.
	u, _ := url.Parse(srv.URL)
	for _, ck := range ann.Jar.Cookies(u) {
		if ck.Name != session.DefaultCookieName {
			continue
		}
		id, _, _ := strings.Cut(ck.Value, ".")
		if len(id) < 36 || strings.Contains(body, id) || !strings.Contains(body, id[:8]+"…") {
			t.Fatalf("page shows the id %q wrongly:\n%s", id, body)
		}
	}
}

// The POST-redirect-GET flow as the HTTP exchange shows it.
func TestClickRedirectsWithSeeOther(t *testing.T) {
	srv := newServer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(srv.URL+"/click", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/" {
		t.Fatalf("POST /click = %d, Location %q; want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sid *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == session.DefaultCookieName {
			sid = ck
		}
	}
	if sid == nil || !sid.HttpOnly {
		t.Fatalf("the first click set no HttpOnly session cookie: %v", resp.Cookies())
	}
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: sid.Name, Value: sid.Value})
	resp, err = noRedirect.Do(req)
	_, body, _ := read(t, resp, err)
	wantCounts(t, body, "1", "1")

	// A GET on /click counts nothing: only the form's POST does.
	code, _, _ := get(t, noRedirect, srv.URL+"/click")
	if code != http.StatusMethodNotAllowed {
		t.Fatalf("GET /click = %d; want 405", code)
	}
}
