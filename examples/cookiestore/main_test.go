package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
)

// newServer starts the example in an empty working directory, so that
// the tests can see it writes nothing there.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	t.Chdir(t.TempDir())
	t.Setenv("SECRET_KEY", "cookiestore-example-test-key-0123456789abcdef")
	app, sessions, err := newApp()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(func() { srv.Close(); sessions.Close() })
	return srv
}

// sendCookie sends a GET carrying the session cookie value (none if
// empty), without a jar, and returns the status, the body and the session
// cookie the response set (nil if none).
func sendCookie(t *testing.T, target, value string) (int, string, *http.Cookie) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	if value != "" {
		req.AddCookie(&http.Cookie{Name: session.DefaultCookieName, Value: value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var sid *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == session.DefaultCookieName {
			sid = ck
		}
	}
	return resp.StatusCode, string(b), sid
}

// transcript runs the count session of the web.py docs with a cookie jar
// and returns the cookie the jar held after the first /count.
func transcript(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	u, _ := url.Parse(srv.URL)
	var first string
	for i, step := range []struct{ path, want string }{
		{"/count", "1"}, {"/count", "2"}, {"/count", "3"}, {"/reset", "Reset"}, {"/count", "1"},
	} {
		resp, err := c.Get(srv.URL + step.path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || string(b) != step.want {
			t.Fatalf("GET %s = %d %q; want %q", step.path, resp.StatusCode, b, step.want)
		}
		cookies := jar.Cookies(u)
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
	srv := newServer(t)
	first := transcript(t, srv)
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil || !strings.Contains(string(raw), `"count":1`) {
		t.Fatalf("a signed cookie decodes to %q (%v); want readable JSON with the count", raw, err)
	}
	wantEmptyDir(t)
}

// Encrypted: the client cannot read the session either.
func TestTranscriptEncrypted(t *testing.T) {
	t.Setenv("SESSION_ENCRYPTION_KEY", hex.EncodeToString(randomBytes(t, 32)))
	srv := newServer(t)
	first := transcript(t, srv)
	raw, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil || strings.Contains(string(raw), "count") {
		t.Fatalf("an encrypted cookie decodes to %q (%v)", raw, err)
	}
	wantEmptyDir(t)
}

// What the top of main.go says: /reset cannot revoke a copy of the
// cookie, which goes on counting where it left off.
func TestResetCannotRevokeACopy(t *testing.T) {
	srv := newServer(t)
	_, _, ck := sendCookie(t, srv.URL+"/count", "")
	_, _, ck = sendCookie(t, srv.URL+"/count", ck.Value)
	copied := ck.Value
	code, body, gone := sendCookie(t, srv.URL+"/reset", copied)
	if code != http.StatusOK || body != "Reset" || gone == nil || gone.MaxAge >= 0 {
		t.Fatalf("/reset = %d %q, cookie %v; want the cookie deleted", code, body, gone)
	}
	if code, body, _ := sendCookie(t, srv.URL+"/count", copied); code != http.StatusOK || body != "3" {
		t.Fatalf("the copy after /reset counts %d %q; want 3", code, body)
	}
}

// The client can read a signed cookie but not change it.
func TestTamperedCookie(t *testing.T) {
	srv := newServer(t)
	_, _, ck := sendCookie(t, srv.URL+"/count", "")
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(raw), `"count":1`, `"count":9`, 1)
	code, body, cleared := sendCookie(t, srv.URL+"/count", base64.RawURLEncoding.EncodeToString([]byte(forged)))
	if code != http.StatusBadRequest || body != "Bad Cookie" || cleared == nil || cleared.MaxAge >= 0 {
		t.Fatalf("a forged count = %d %q, cookie %v; want 400 Bad Cookie and the cookie deleted", code, body, cleared)
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
