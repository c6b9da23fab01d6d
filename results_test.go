package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

// created builds a 201 that names the new resource.
func created(loc string) *web.Error {
	e := web.Created()
	e.Location = loc
	return e
}

func TestSuccessStatuses(t *testing.T) {
	text := "text/plain; charset=utf-8"
	tests := []struct {
		name     string
		h        handle
		code     int
		body     string
		ctype    string
		length   string
		location string
	}{
		// Without a result, the lower-case status text, as for errors.
		{"Created", returns(nil, web.Created()), 201, "created", text, "7", ""},
		{"Accepted", returns(nil, web.Accepted()), 202, "accepted", text, "8", ""},
		// With one, the result is the body, sent with the status.
		{"Created with a body", returns("made", web.Created()), 201, "made", text, "4", ""},
		{"Created with JSON", returns(web.JSON(map[string]int{"id": 7}), web.Created()), 201, `{"id":7}`, "application/json; charset=utf-8", "8", ""},
		{"Created with HTML", returns(web.HTML("<p>made</p>"), web.Created()), 201, "<p>made</p>", "text/html; charset=utf-8", "11", ""},
		{"Created naming the resource", returns("made", created("/items/7")), 201, "made", text, "4", "http://example.com/items/7"},
		{"Created naming it relatively", returns(nil, created("7")), 201, "created", text, "7", "http://example.com/items/7"},
		{"Accepted with a reader", returns(strings.NewReader("queued"), web.Accepted()), 202, "queued", text, "", ""},
		{"wrapped", returns("made", fmt.Errorf("storing: %w", web.Created())), 201, "made", text, "4", ""},
		{"status wins over SetStatus", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusTeapot)
			return "made", web.Created()
		}, 201, "made", text, "4", ""},
		// 204 and 304 never carry a body, nor a type for one.
		{"NoContent", returns(nil, web.NoContent()), 204, "", "", "", ""},
		{"NoContent drops a result", returns("dropped", web.NoContent()), 204, "", "", "", ""},
		{"NoContent drops JSON", returns(web.JSON([]int{1}), web.NoContent()), 204, "", "", "", ""},
		{"NotModified", returns(nil, web.NotModified()), 304, "", "", "", ""},
		{"NotModified drops a result", returns([]byte("<html>"), web.NotModified()), 304, "", "", "", ""},
		{"NotModified keeps the validators", func(c *web.Context) (any, error) {
			c.SetHeader("ETag", `"v1"`)
			return "page", web.NotModified()
		}, 304, "", "", "", ""},
		{"SetStatus 304 drops a result", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusNotModified)
			return "page", nil
		}, 304, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, web.URLs{"/items/new", tt.h})
			logs := captureLog(app)
			for _, method := range []string{"POST", "HEAD"} {
				w := serve(app, method, "/items/new", nil)
				body := tt.body
				if method == "HEAD" {
					body = ""
				}
				if w.Code != tt.code || w.Body.String() != body {
					t.Errorf("%s: got %d %q, want %d %q", method, w.Code, w.Body, tt.code, body)
				}
				h := w.Header()
				if h.Get("Content-Type") != tt.ctype || h.Get("Content-Length") != tt.length || h.Get("Location") != tt.location {
					t.Errorf("%s: Content-Type %q, Content-Length %q, Location %q; want %q, %q, %q", method,
						h.Get("Content-Type"), h.Get("Content-Length"), h.Get("Location"), tt.ctype, tt.length, tt.location)
				}
			}
			if logs.String() != "" {
				t.Errorf("a success was logged: %s", logs)
			}
		})
	}
	closer := &closeCounter{Reader: strings.NewReader("never sent")}
	app := newApp(t, web.URLs{"/", returns(closer, web.NoContent())})
	serve(app, "GET", "/", nil)
	if closer.closed != 1 {
		t.Errorf("a reader dropped by 204 was closed %d times, want once", closer.closed)
	}
	app = newApp(t, web.URLs{"/", func(c *web.Context) (any, error) {
		c.SetHeader("ETag", `"v1"`)
		return "page", web.NotModified()
	}})
	if w := serve(app, "GET", "/", nil); w.Header().Get("ETag") != `"v1"` {
		t.Errorf("304 lost the ETag: %v", w.Header())
	}
}

// TestBodilessOverTheWire checks 204 and 304 as a client gets them from a
// real server, which refuses a body for them.
func TestBodilessOverTheWire(t *testing.T) {
	app := newApp(t, web.URLs{
		"/204", returns("dropped", web.NoContent()),
		"/304", returns(web.JSON("dropped"), web.NotModified()),
	})
	logs := captureLog(app)
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, p := range []string{"/204", "/304"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if fmt.Sprint(resp.StatusCode) != p[1:] || len(b) != 0 || resp.Header.Get("Content-Type") != "" {
			t.Errorf("%s: %d %q Content-Type %q", p, resp.StatusCode, b, resp.Header.Get("Content-Type"))
		}
	}
	if logs.String() != "" {
		t.Errorf("log: %s", logs)
	}
}

func TestNamedErrors(t *testing.T) {
	tests := []struct {
		err  *web.Error
		code int
		body string
	}{
		{web.NotAcceptable(), 406, "not acceptable"},
		{web.PreconditionFailed(), 412, "precondition failed"},
		{web.UnsupportedMediaType(), 415, "unsupported media type"},
		{web.InternalError(), 500, "internal server error"},
	}
	for _, tt := range tests {
		// The result is not the body of a failure.
		app := newApp(t, web.URLs{"/", returns("ignored", tt.err)})
		logs := captureLog(app)
		w := serve(app, "GET", "/", nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%v: got %d %q %q, want %d %q", tt.err, w.Code, w.Body, w.Header().Get("Content-Type"), tt.code, tt.body)
		}
		if logs.String() != "" {
			t.Errorf("%v: logged %s", tt.err, logs)
		}
	}
	// Wrapped with its cause, a 500 logs the cause once; the body stays generic.
	app := newApp(t, web.URLs{"/", returns(nil, fmt.Errorf("loading item 7: %w", web.InternalError()))})
	logs := captureLog(app)
	w := serve(app, "GET", "/", nil)
	if w.Code != 500 || w.Body.String() != "internal server error" {
		t.Errorf("wrapped InternalError: %d %q", w.Code, w.Body)
	}
	if out := logs.String(); strings.Count(out, "loading item 7") != 1 || !strings.Contains(out, "status=500") {
		t.Errorf("the cause of a wrapped InternalError was not logged once:\n%s", out)
	}
}

// TestStatusesAndSessions shows what a session layer makes of the named
// statuses: a success keeps the handler's changes, InternalError drops
// them, as for any failure.
func TestStatusesAndSessions(t *testing.T) {
	set := func(err error) handle {
		return func(c *web.Context) (any, error) {
			c.Session().Set("n", c.Session().Int("n")+1)
			return nil, err
		}
	}
	app := newApp(t, web.URLs{
		"/created", set(web.Created()),
		"/nocontent", set(web.NoContent()),
		"/failed", set(web.InternalError()),
		"/n", func(c *web.Context) (any, error) { return c.Session().Int("n"), nil },
	})
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{"status-test-key-0123456789abcdef0123"}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	app.Use(m.Middleware)
	srv := httptest.NewServer(app)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(p string) (int, string) {
		resp, err := client.Post(srv.URL+p, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, step := range []struct {
		path string
		code int
		n    string
	}{{"/created", 201, "1"}, {"/nocontent", 204, "2"}, {"/failed", 500, "2"}} {
		if code, _ := get(step.path); code != step.code {
			t.Errorf("%s: %d, want %d", step.path, code, step.code)
		}
		if _, n := get("/n"); n != step.n {
			t.Errorf("after %s: n = %s, want %s", step.path, n, step.n)
		}
	}
}

// failing cannot be encoded.
type failing struct{}

func (failing) MarshalJSON() ([]byte, error) {
	return nil, errors.New("the JSON encoder of failing broke")
}

func TestJSON(t *testing.T) {
	type item struct {
		ID   int      `json:"id"`
		Name string   `json:"name"`
		Tags []string `json:"tags,omitempty"`
	}
	tests := []struct {
		name  string
		h     handle
		code  int
		body  string
		ctype string
	}{
		{"map", returns(web.JSON(map[string]any{"count": 3, "ok": true}), nil), 200, `{"count":3,"ok":true}`, "application/json; charset=utf-8"},
		{"struct", returns(web.JSON(item{ID: 1, Name: "a"}), nil), 200, `{"id":1,"name":"a"}`, "application/json; charset=utf-8"},
		{"slice", returns(web.JSON([]item{{ID: 1, Tags: []string{"x"}}}), nil), 200, `[{"id":1,"name":"","tags":["x"]}]`, "application/json; charset=utf-8"},
		{"nil", returns(web.JSON(nil), nil), 200, `null`, "application/json; charset=utf-8"},
		{"escaped for HTML", returns(web.JSON("</script><b>&"), nil), 200, `"\u003c/script\u003e\u003cb\u003e\u0026"`, "application/json; charset=utf-8"},
		{"SetStatus", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusAccepted)
			return web.JSON([]int{1, 2}), nil
		}, 202, `[1,2]`, "application/json; charset=utf-8"},
		{"own Content-Type", func(c *web.Context) (any, error) {
			c.SetHeader("Content-Type", "application/problem+json")
			return web.JSON(map[string]string{"title": "bad"}), nil
		}, 200, `{"title":"bad"}`, "application/problem+json"},
		{"with an error status", returns(web.JSON("ignored"), web.Conflict()), 409, "conflict", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, web.URLs{"/", tt.h})
			logs := captureLog(app)
			w := serve(app, "GET", "/", nil)
			if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("got %d %q %q, want %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"), tt.code, tt.body, tt.ctype)
			}
			if w.Header().Get("Content-Length") != fmt.Sprint(len(tt.body)) {
				t.Errorf("Content-Length %q for %d bytes", w.Header().Get("Content-Length"), len(tt.body))
			}
			if logs.String() != "" {
				t.Errorf("log: %s", logs)
			}
			if w := serve(app, "HEAD", "/", nil); w.Body.Len() != 0 || w.Header().Get("Content-Length") != fmt.Sprint(len(tt.body)) {
				t.Errorf("HEAD: body %q, Content-Length %q", w.Body, w.Header().Get("Content-Length"))
			}
		})
	}
	// A map is JSON only when asked for: returned bare, it is a 500 whose
	// log says what to return.
	app := newApp(t, web.URLs{"/", returns(map[string]int{"a": 1}, nil)})
	logs := captureLog(app)
	if w := serve(app, "GET", "/", nil); w.Code != 500 || !strings.Contains(logs.String(), "web.JSON(v)") {
		t.Errorf("bare map: %d, log %s", w.Code, logs)
	}
	for name, v := range map[string]any{
		"channel":     make(chan int),
		"NaN":         math.NaN(),
		"MarshalJSON": map[string]any{"x": failing{}},
	} {
		app := newApp(t, web.URLs{"/", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusCreated)
			return web.JSON(v), nil
		}})
		logs := captureLog(app)
		w := serve(app, "GET", "/", nil)
		if w.Code != 500 || w.Body.String() != "internal server error" || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: got %d %q %q, want a plain 500", name, w.Code, w.Body, w.Header().Get("Content-Type"))
		}
		if out := logs.String(); strings.Count(out, "level=ERROR") != 1 || !strings.Contains(out, "json") {
			t.Errorf("%s: the cause was not logged once:\n%s", name, out)
		}
	}
}

// ctxKey is a context key of this test.
type ctxKey struct{}

func TestContextContext(t *testing.T) {
	var got context.Context
	app := newApp(t, web.URLs{"/", func(c *web.Context) (any, error) {
		got = c.Context()
		return c.Context().Value(ctxKey{}), nil
	}})
	// Values a middleware adds reach the handler's context.
	app.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "from middleware")))
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	if w.Body.String() != "from middleware" {
		t.Errorf("got %q", w.Body)
	}
	if got.Err() != nil {
		t.Fatal("the context was done before the request was canceled")
	}
	cancel()
	if !errors.Is(got.Err(), context.Canceled) {
		t.Errorf("the context did not follow the request's: %v", got.Err())
	}
}
