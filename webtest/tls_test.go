package webtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

// secureCount is web.py's session example with a cookie sent over HTTPS
// only, as in production behind TLS.
func secureCount(t *testing.T) http.Handler {
	app, err := web.New(web.URLs{
		"/count", count{},
		"/scheme", func(c *web.Context) (any, error) {
			return fmt.Sprintf("%s tls=%v", c.Home(), c.Request.TLS != nil), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(session.NewMemoryStore(), session.Config{
		Secure:     session.Yes,
		SecretKeys: []string{"a test key of at least thirty-two bytes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	app.Use(sessions.Middleware)
	return app
}

// With TLS the client talks to https://example.com, so that a Secure
// cookie comes back; without it the jar never sends one, as a browser
// would not over http, and every visit is a first one.
func TestTLS(t *testing.T) {
	h := secureCount(t)
	plain := webtest.New(t, h)
	for _, want := range []string{"1", "1"} {
		if r := plain.Get("/count"); r.Body != want {
			t.Fatalf("over http: %v, want %s", r, want)
		}
	}
	c := webtest.New(t, h)
	c.TLS = true
	for _, want := range []string{"1", "2", "3"} {
		if r := c.Get("/count"); r.Body != want {
			t.Fatalf("over https: %v, want %s", r, want)
		}
	}
	if ck := c.Cookie("sid"); ck == nil {
		t.Errorf("Cookie(\"sid\") = nil over https; Cookies() = %v", c.Cookies())
	}
	if r := c.Get("/scheme"); r.Body != "https://example.com tls=true" {
		t.Errorf("the handler sees %q", r.Body)
	}
	if r := c.NoFollow().Get("/count"); r.Body != "4" {
		t.Errorf("NoFollow keeps TLS: %v", r)
	}
	if r := plain.Get("/scheme"); r.Body != "http://example.com tls=false" {
		t.Errorf("without TLS the handler sees %q", r.Body)
	}
}
