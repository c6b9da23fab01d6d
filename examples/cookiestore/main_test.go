package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

// newServer starts the example in an empty working directory, so that
// the tests can see it writes nothing there.
func newServer(t *testing.T) http.Handler {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("SECRET_KEY", "cookiestore-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	return app
}

// sendCookie sends a GET carrying the session cookie value (none if
// empty) from a fresh client, and returns the answer and the session
// cookie it set (nil if none).
func sendCookie(t *testing.T, app http.Handler, path, value string) (*webtest.Response, *http.Cookie) {
	t.Helper()
	c := webtest.New(t, app)
	if value != "" {
		c.SetCookie(&http.Cookie{Name: session.DefaultCookieName, Value: value})
	}
	r := c.Get(path)
	return r, r.Cookie(session.DefaultCookieName)
}

// transcript runs the count session of the web.py docs with a cookie jar
// and returns the cookie the jar held after the first /count.
func transcript(t *testing.T, app http.Handler) string {
	t.Helper()
	c := webtest.New(t, app)
	var first string
	for i, step := range []struct{ path, want string }{
		{"/count", "1"}, {"/count", "2"}, {"/count", "3"}, {"/reset", "Reset"}, {"/count", "1"},
	} {
		if r := c.Get(step.path); r.Status != http.StatusOK || r.Body != step.want {
			t.Fatalf("GET %s:\n%v\nwant %q", step.path, r, step.want)
		}
		cookies := c.Cookies()
		switch {
		case i == 0 && len(cookies) == 1:
			first = cookies[0].Value
		case step.path == "/reset" && len(cookies) != 0:
			t.Fatalf("the jar still holds %v after /reset", cookies)
		}
	}
	if first == "" {
		t.Fatal("the first /count set no cookie")
	}
	return first
}

// wantEmptyDir checks that the working directory is still empty: no
// session file, no key file.
func wantEmptyDir(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("the example wrote %s", e.Name())
	}
}

// Signed only: the client cannot change the session, but can read it.
func TestTranscriptSigned(t *testing.T) {
	t.Setenv("SESSION_ENCRYPTION_KEY", "")
	first := transcript(t, newServer(t))
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil || !strings.Contains(string(raw), `"count":1`) {
		t.Fatalf("a signed cookie decodes to %q (%v); want readable JSON with the count", raw, err)
	}
	wantEmptyDir(t)
}

// Encrypted: the client cannot read the session either.
func TestTranscriptEncrypted(t *testing.T) {
	t.Setenv("SESSION_ENCRYPTION_KEY", hex.EncodeToString(randomBytes(t, 32)))
	first := transcript(t, newServer(t))
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil || strings.Contains(string(raw), "count") {
		t.Fatalf("an encrypted cookie decodes to %q (%v)", raw, err)
	}
	wantEmptyDir(t)
}

// What the top of main.go says: /reset cannot revoke a copy of the
// cookie, which goes on counting where it left off.
func TestResetCannotRevokeACopy(t *testing.T) {
	app := newServer(t)
	_, ck := sendCookie(t, app, "/count", "")
	_, ck = sendCookie(t, app, "/count", ck.Value)
	copied := ck.Value
	r, gone := sendCookie(t, app, "/reset", copied)
	if r.Status != http.StatusOK || r.Body != "Reset" || gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("/reset:\n%v\nwant the cookie deleted", r)
	}
	if r, _ := sendCookie(t, app, "/count", copied); r.Status != http.StatusOK || r.Body != "3" {
		t.Fatalf("the copy after /reset:\n%v\nwant 3", r)
	}
}

// The client can read a signed cookie but not change it.
func TestTamperedCookie(t *testing.T) {
	app := newServer(t)
	_, ck := sendCookie(t, app, "/count", "")
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(raw), `"count":1`, `"count":9`, 1)
	r, cleared := sendCookie(t, app, "/count", base64.RawURLEncoding.EncodeToString([]byte(forged)))
	if r.Status != http.StatusBadRequest || r.Body != "Bad Cookie" || cleared == nil || cleared.MaxAge >= 0 {
		t.Fatalf("a forged count:\n%v\nwant 400 Bad Cookie and the cookie deleted", r)
	}
}

func TestBadEncryptionKey(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("SECRET_KEY", "cookiestore-example-test-key-0123456789abcdef")
	for _, bad := range []string{
		"not-hex",
		hex.EncodeToString(randomBytes(t, 16)), // AES-128 would work; the example asks for 32 bytes
		hex.EncodeToString(randomBytes(t, 31)),
		hex.EncodeToString(randomBytes(t, 32))[1:],
		hex.EncodeToString(randomBytes(t, 32)) + " ",
	} {
		t.Setenv("SESSION_ENCRYPTION_KEY", bad)
		_, _, err := newApp()
		if err == nil || !strings.Contains(err.Error(), "SESSION_ENCRYPTION_KEY must be 64 hex digits") {
			t.Fatalf("SESSION_ENCRYPTION_KEY=%q: err %v", bad, err)
		}
		if strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Fatalf("the error repeats the key: %v", err)
		}
	}
	wantEmptyDir(t)
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
