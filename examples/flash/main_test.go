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
	t.Setenv("SECRET_KEY", "flash-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(func() { srv.Close(); sessions.Close() })
	return srv
}

// browser is a client with a cookie jar that follows redirects.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// result is a response, read.
type result struct {
	code   int
	body   string
	method string // of the request that got the final response
	path   string // of that request
}

func read(t *testing.T, resp *http.Response, err error) result {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, string(b), resp.Request.Method, resp.Request.URL.Path}
}

func get(t *testing.T, c *http.Client, target string) result {
	t.Helper()
	resp, err := c.Get(target)
	return read(t, resp, err)
}

func post(t *testing.T, c *http.Client, target, text string) result {
	t.Helper()
	resp, err := c.PostForm(target, url.Values{"text": {text}})
	return read(t, resp, err)
}

func TestFlashShowsOnce(t *testing.T) {
	srv := newServer(t)
	b := browser(t)
	if r := get(t, b, srv.URL+"/"); r.code != http.StatusOK || !strings.Contains(r.body, "No messages.") {
		t.Fatalf("first GET = %d:\n%s", r.code, r.body)
	}
	// The POST answers 303 and the client follows it with a GET, which
	// shows the flash; the text is escaped, not markup.
	r := post(t, b, srv.URL+"/", "hello <b>world</b>")
	if r.code != http.StatusOK || r.method != http.MethodGet || r.path != "/" {
		t.Fatalf("POST / ended with %d on %s %s", r.code, r.method, r.path)
	}
	for _, want := range []string{`class="success"`, "<strong>Posted!</strong> hello &lt;b&gt;world&lt;/b&gt;", "5s forwards"} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("the page after the post lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, "<b>world") || strings.Contains(r.body, "No messages.") {
		t.Fatalf("the page after the post:\n%s", r.body)
	}
	// A reload: the flash was read.
	if r := get(t, b, srv.URL+"/"); strings.Contains(r.body, "hello") || !strings.Contains(r.body, "No messages.") {
		t.Fatalf("the flash shows twice:\n%s", r.body)
	}
}

// Flashes wait for the next page that reads them, all of them in order,
// and each browser gets its own.
func TestFlashesWaitForTheNextPage(t *testing.T) {
	srv := newServer(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, text := range []string{"first", "second"} {
		if r := post(t, noFollow, srv.URL+"/", text); r.code != http.StatusSeeOther {
			t.Fatalf("POST %q = %d; want 303", text, r.code)
		}
	}
	if r := get(t, browser(t), srv.URL+"/"); !strings.Contains(r.body, "No messages.") {
		t.Fatalf("another browser sees the flashes:\n%s", r.body)
	}
	r := get(t, noFollow, srv.URL+"/")
	first, second := strings.Index(r.body, "first"), strings.Index(r.body, "second")
	if first < 0 || second < first {
		t.Fatalf("want both flashes, in order:\n%s", r.body)
	}
	if r := get(t, noFollow, srv.URL+"/"); strings.Contains(r.body, "first") || strings.Contains(r.body, "second") {
		t.Fatalf("the flashes show twice:\n%s", r.body)
	}
}

func TestValidationMessage(t *testing.T) {
	srv := newServer(t)
	b := browser(t)
	for _, tc := range []struct{ text, want string }{
		{"", "Nothing to post."},
		{"   ", "Nothing to post."},
		{strings.Repeat("é", maxText+1), "Too long."},
	} {
		r := post(t, b, srv.URL+"/", tc.text)
		// No redirect: the POST itself answers, with the form again.
		if r.code != http.StatusUnprocessableEntity || r.method != http.MethodPost || !strings.Contains(r.body, tc.want) {
			t.Fatalf("POST %q = %d on %s:\n%s", tc.text, r.code, r.method, r.body)
		}
		if strings.Contains(r.body, "No messages.") {
			t.Fatalf("the page lists no messages:\n%s", r.body)
		}
		// The message was for that response only.
		if r := get(t, b, srv.URL+"/"); strings.Contains(r.body, tc.want) {
			t.Fatalf("the message shows again:\n%s", r.body)
		}
	}
	// Exactly as many characters as allowed is fine.
	if r := post(t, b, srv.URL+"/", strings.Repeat("é", maxText)); r.code != http.StatusOK || !strings.Contains(r.body, "Posted!") {
		t.Fatalf("POST of %d characters = %d:\n%s", maxText, r.code, r.body)
	}
}

// A validation error stores nothing: a visitor without a session still has
// none afterwards.
func TestValidationStoresNothing(t *testing.T) {
	srv := newServer(t)
	resp, err := http.PostForm(srv.URL+"/", url.Values{"text": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == session.DefaultCookieName {
			t.Fatalf("a refused post started a session: %v", ck)
		}
	}
}
