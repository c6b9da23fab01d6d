package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

func testApp(t *testing.T) http.Handler {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("SECRET_KEY", "flash-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	return app
}

func post(c *webtest.Client, text string) *webtest.Response {
	return c.PostForm("/", url.Values{"text": {text}})
}

func TestFlashShowsOnce(t *testing.T) {
	b := webtest.New(t, testApp(t))
	if r := b.Get("/"); r.Status != http.StatusOK || !strings.Contains(r.Body, "No messages.") {
		t.Fatalf("first GET:\n%v", r)
	}
	// The POST answers 303 and the client follows it with a GET, which
	// shows the flash; the text is escaped, not markup.
	r := post(b, "hello <b>world</b>")
	if r.Status != http.StatusOK || r.Request.Method != http.MethodGet || r.Request.URL.Path != "/" {
		t.Fatalf("POST / ended on %s %s:\n%v", r.Request.Method, r.Request.URL, r)
	}
	for _, want := range []string{`class="msg success"`, "<strong>Posted!</strong> hello &lt;b&gt;world&lt;/b&gt;", "5s forwards"} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("the page after the post lacks %q:\n%s", want, r.Body)
		}
	}
	if strings.Contains(r.Body, "<b>world") || strings.Contains(r.Body, "No messages.") {
		t.Fatalf("the page after the post:\n%s", r.Body)
	}
	// A reload: the flash was read.
	if r := b.Get("/"); strings.Contains(r.Body, "hello") || !strings.Contains(r.Body, "No messages.") {
		t.Fatalf("the flash shows twice:\n%s", r.Body)
	}
}

// Flashes wait for the next page that reads them, all of them in order,
// and each browser gets its own.
func TestFlashesWaitForTheNextPage(t *testing.T) {
	app := testApp(t)
	b := webtest.New(t, app)
	for _, text := range []string{"first", "second"} {
		if r := post(b.NoFollow(), text); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %q:\n%v", text, r)
		}
	}
	if r := webtest.New(t, app).Get("/"); !strings.Contains(r.Body, "No messages.") {
		t.Fatalf("another browser sees the flashes:\n%s", r.Body)
	}
	r := b.Get("/")
	first, second := strings.Index(r.Body, "first"), strings.Index(r.Body, "second")
	if first < 0 || second < first {
		t.Fatalf("want both flashes, in order:\n%s", r.Body)
	}
	if r := b.Get("/"); strings.Contains(r.Body, "first") || strings.Contains(r.Body, "second") {
		t.Fatalf("the flashes show twice:\n%s", r.Body)
	}
}

func TestValidationMessage(t *testing.T) {
	b := webtest.New(t, testApp(t))
	for _, tc := range []struct{ text, want string }{
		{"", "Nothing to post."},
		{"   ", "Nothing to post."},
		{strings.Repeat("é", maxText+1), "Too long."},
	} {
		r := post(b, tc.text)
		// No redirect: the POST itself answers, with the form again.
		if r.Status != http.StatusUnprocessableEntity || r.Request.Method != http.MethodPost || !strings.Contains(r.Body, tc.want) {
			t.Fatalf("POST %q:\n%v", tc.text, r)
		}
		if strings.Contains(r.Body, "No messages.") {
			t.Fatalf("the page lists no messages:\n%s", r.Body)
		}
		// The message was for that response only.
		if r := b.Get("/"); strings.Contains(r.Body, tc.want) {
			t.Fatalf("the message shows again:\n%s", r.Body)
		}
	}
	// Exactly as many characters as allowed is fine.
	if r := post(b, strings.Repeat("é", maxText)); r.Status != http.StatusOK || !strings.Contains(r.Body, "Posted!") {
		t.Fatalf("POST of %d characters:\n%v", maxText, r)
	}
}

// A validation error stores nothing: a visitor without a session still has
// none afterwards.
func TestValidationStoresNothing(t *testing.T) {
	b := webtest.New(t, testApp(t))
	if r := post(b, ""); r.Cookie(session.DefaultCookieName) != nil || b.Cookie(session.DefaultCookieName) != nil {
		t.Fatalf("a refused post started a session:\n%v", r)
	}
}
