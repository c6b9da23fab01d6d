package web_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

type theme struct{}

// GET reads the signed theme cookie; POST sets it, anywhere in the handler
// before the response is written (tipfy's CookieMixin).
func (theme) GET(c *web.Context) (any, error) {
	v, err := c.SignedCookie("theme")
	switch {
	case errors.Is(err, http.ErrNoCookie):
		return "none", nil
	case errors.Is(err, session.ErrBadCookie):
		return "forged", nil
	case err != nil:
		return nil, err
	}
	return v, nil
}

func (theme) POST(c *web.Context) (any, error) {
	in, err := c.Input(web.Required("theme"))
	if err != nil {
		return nil, err
	}
	if err := c.SetSignedCookie(&http.Cookie{Name: "theme", Value: in.Get("theme"), MaxAge: 3600}); err != nil {
		return nil, err
	}
	c.SetCookie(&http.Cookie{Name: "plain", Value: "also-set"})
	return nil, web.SeeOther("/theme")
}

func TestSignedCookies(t *testing.T) {
	app, err := web.New(web.URLs{"/theme", theme{}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{"signed-cookie-test-key-0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	app.Use(m.Middleware)
	srv := httptest.NewServer(app)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func() string {
		resp, err := c.Get(srv.URL + "/theme")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := read(); got != "none" {
		t.Fatalf("before: %q", got)
	}
	resp, err := c.PostForm(srv.URL+"/theme", map[string][]string{"theme": {"dark mode; with spaces"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := read(); got != "dark mode; with spaces" {
		t.Fatalf("after: %q", got)
	}
	u := srv.URL + "/theme"
	req, _ := http.NewRequest("GET", u, nil)
	req.AddCookie(&http.Cookie{Name: "theme", Value: "bGlnaHQ.0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "forged" {
		t.Fatalf("a forged signed cookie: %q", b)
	}
}

func TestSignedCookieWithoutManager(t *testing.T) {
	app, _ := web.New(web.URLs{"/theme", theme{}})
	w := httptest.NewRecorder()
	app.ServeHTTP(w, httptest.NewRequest("GET", "/theme", nil))
	if w.Code != 500 {
		t.Fatalf("status %d; want 500 without a session manager", w.Code)
	}
}
