package webtest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
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

// PostMultipart sends fields and files as a form with a file input does
// (curl -F), and the handler reads them as an upload.
func TestPostMultipart(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out []string
		for k, vs := range r.MultipartForm.Value {
			out = append(out, fmt.Sprintf("%s=%q", k, vs))
		}
		for k, fs := range r.MultipartForm.File {
			for _, f := range fs {
				rd, err := f.Open()
				if err != nil {
					t.Error(err)
					continue
				}
				b, _ := io.ReadAll(rd)
				rd.Close()
				out = append(out, fmt.Sprintf("%s:%s:%q", k, f.Filename, b))
			}
		}
		sort.Strings(out)
		fmt.Fprint(w, strings.Join(out, " "))
	})
	c := webtest.New(t, h)
	r := c.PostMultipart("/up", url.Values{"note": {"a", "b"}, "title": {"t"}},
		webtest.File{Field: "doc", Name: "a.txt", Content: "first"},
		webtest.File{Field: "doc", Name: "b.txt", Content: ""},
	)
	want := `doc:a.txt:"first" doc:b.txt:"" note=["a" "b"] title=["t"]`
	if r.Status != http.StatusOK || r.Body != want {
		t.Fatalf("got %v\nwant %s", r, want)
	}
	if r := c.PostMultipart("/up", nil); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("no fields, no files: %v", r)
	}
}
