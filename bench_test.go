package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gowebpy/web"
)

// benchOK is the cheapest handler type: it answers with a constant.
type benchOK struct{}

func (benchOK) GET(*web.Context) (any, error) { return "ok", nil }

// benchParam reads its capture, as a real handler would.
type benchParam struct{}

func (benchParam) GET(c *web.Context) (any, error) { return c.Arg(0), nil }

func benchApp(b *testing.B) *web.Application {
	app, err := web.New(web.URLs{
		"/", benchOK{},
		"/about", benchOK{},
		"/static-route", benchOK{},
		"/user/:name", benchParam{},
		"/files/*path", benchParam{},
		`/items/(\d+)/(\w+)`, benchParam{},
	})
	if err != nil {
		b.Fatal(err)
	}
	return app
}

func benchServe(b *testing.B, h http.Handler, target string) {
	r := httptest.NewRequest("GET", target, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("%s: %d", target, w.Code)
		}
	}
}

// BenchmarkBareNetHTTP is the baseline: a net/http handler that writes
// the same body, with no routing at all.
func BenchmarkBareNetHTTP(b *testing.B) {
	benchServe(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
	}), "/static-route")
}

func BenchmarkStaticRoute(b *testing.B) { benchServe(b, benchApp(b), "/static-route") }

func BenchmarkParamRoute(b *testing.B) { benchServe(b, benchApp(b), "/user/gopher") }

func BenchmarkRegexRoute(b *testing.B) { benchServe(b, benchApp(b), "/items/12/abc") }
