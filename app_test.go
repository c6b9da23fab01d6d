package web_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gowebpy/web"
)

// handle turns a function into a handler type with GET, POST and PUT, for
// tests that care about what the handler does rather than its methods.
type handle func(c *web.Context) (any, error)

func (h handle) GET(c *web.Context) (any, error)  { return h(c) }
func (h handle) POST(c *web.Context) (any, error) { return h(c) }
func (h handle) PUT(c *web.Context) (any, error)  { return h(c) }

// returns is a handler that answers with a fixed result and error.
func returns(v any, err error) handle {
	return func(*web.Context) (any, error) { return v, err }
}

// logBuffer collects what an application logs; Serve logs from the
// server's goroutines, so it is locked.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// captureLog points app's Logger at a buffer.
func captureLog(app *web.Application) *logBuffer {
	b := &logBuffer{}
	app.Logger = slog.New(slog.NewTextHandler(b, nil))
	return b
}

// stringHandler is a Stringer and an http.Handler: the Stringer wins.
type stringHandler struct{}

func (stringHandler) String() string { return "the String" }

func (stringHandler) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	io.WriteString(w, "the handler")
}

type stringer struct{}

func (stringer) String() string { return "I am a Stringer" }

// closeCounter is an io.Reader whose Close must be called once.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestResults(t *testing.T) {
	text := "text/plain; charset=utf-8"
	closer := &closeCounter{Reader: strings.NewReader("closed afterwards")}
	tests := []struct {
		name   string
		h      handle
		code   int
		body   string
		ctype  string
		length string
	}{
		{"string", returns("hello", nil), 200, "hello", text, "5"},
		{"empty string", returns("", nil), 200, "", text, "0"},
		{"bytes", returns([]byte("raw"), nil), 200, "raw", text, "3"},
		{"html bytes", returns([]byte("<!DOCTYPE html><p>x"), nil), 200, "<!DOCTYPE html><p>x", "text/html; charset=utf-8", "19"},
		{"int", returns(42, nil), 200, "42", text, "2"},
		{"int64", returns(int64(-7), nil), 200, "-7", text, "2"},
		{"uint8", returns(uint8(3), nil), 200, "3", text, "1"},
		{"float64", returns(1.5, nil), 200, "1.5", text, "3"},
		{"float32", returns(float32(0.1), nil), 200, "0.1", text, "3"},
		{"bool", returns(true, nil), 200, "true", text, "4"},
		{"Stringer", returns(stringer{}, nil), 200, "I am a Stringer", text, "15"},
		// A Stringer that is also a Reader is text, with its length.
		{"bytes.Buffer", returns(bytes.NewBufferString("buffered"), nil), 200, "buffered", text, "8"},
		{"Stringer and Handler", returns(stringHandler{}, nil), 200, "the String", text, "10"},
		{"Reader", returns(strings.NewReader("streamed"), nil), 200, "streamed", text, ""},
		{"Reader of HTML", returns(strings.NewReader("<html><body>x"), nil), 200, "<html><body>x", "text/html; charset=utf-8", ""},
		{"ReadCloser", returns(closer, nil), 200, "closed afterwards", text, ""},
		{"HTML", returns(web.HTML("<b>bold</b>"), nil), 200, "<b>bold</b>", "text/html; charset=utf-8", "11"},
		{"nil", returns(nil, nil), 200, "", "", "0"},
		{"http.Handler", returns(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/gif")
			w.WriteHeader(203)
			io.WriteString(w, "GIF89a")
		}), nil), 203, "GIF89a", "image/gif", ""},
		{"own Content-Type", func(c *web.Context) (any, error) {
			c.SetHeader("Content-Type", "application/json")
			return `{"a":1}`, nil
		}, 200, `{"a":1}`, "application/json", "7"},
		{"own Content-Type for bytes", func(c *web.Context) (any, error) {
			c.SetHeader("Content-Type", "application/octet-stream")
			return []byte("plain words"), nil
		}, 200, "plain words", "application/octet-stream", "11"},
		{"SetStatus", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusCreated)
			return "made", nil
		}, 201, "made", text, "4"},
		{"SetStatus 204", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusNoContent)
			return nil, nil
		}, 204, "", "", ""},
		{"error wins over SetStatus", func(c *web.Context) (any, error) {
			c.SetStatus(http.StatusCreated)
			return "made", web.Conflict()
		}, 409, "conflict", text, "8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, web.URLs{"/", tt.h})
			logs := captureLog(app)
			w := serve(app, "GET", "/", nil)
			if w.Code != tt.code || w.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.code, tt.body)
			}
			if got := w.Header().Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			if got := w.Header().Get("Content-Length"); got != tt.length {
				t.Errorf("Content-Length %q, want %q", got, tt.length)
			}
			if logs.String() != "" {
				t.Errorf("unexpected log: %s", logs)
			}
		})
	}
	if closer.closed != 1 {
		t.Errorf("the io.ReadCloser was closed %d times, want once", closer.closed)
	}
}

func TestUnsupportedResult(t *testing.T) {
	type point struct{ X, Y int }
	app := newApp(t, web.URLs{"/", returns(point{1, 2}, nil)})
	logs := captureLog(app)
	w := serve(app, "GET", "/", nil)
	if w.Code != 500 || w.Body.String() != "internal server error" {
		t.Errorf("got %d %q, want 500 internal server error", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "web_test.point") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("log does not name the type: %s", logs)
	}
}

func TestErrorValues(t *testing.T) {
	tests := []struct {
		err  error
		code int
		body string
	}{
		{web.NotFound(), 404, "not found"},
		{web.BadRequest(""), 400, "bad request"},
		{web.BadRequest("name is missing"), 400, "name is missing"},
		{web.Unauthorized(), 401, "unauthorized"},
		{web.Forbidden(), 403, "forbidden"},
		{web.Conflict(), 409, "conflict"},
		{web.Gone(), 410, "gone"},
		{web.HTTPError(http.StatusTeapot, "short and stout"), 418, "short and stout"},
		{web.HTTPError(http.StatusServiceUnavailable, ""), 503, "service unavailable"},
		{fmt.Errorf("loading page: %w", web.Forbidden()), 403, "forbidden"},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", returns("ignored", tt.err)})
		logs := captureLog(app)
		w := serve(app, "GET", "/", nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%v: got %d %q %q, want %d %q", tt.err, w.Code, w.Body, w.Header().Get("Content-Type"), tt.code, tt.body)
		}
		if logs.String() != "" {
			t.Errorf("%v: an HTTP error is an answer, not a failure, yet it was logged: %s", tt.err, logs)
		}
	}
	if got := web.NotFound().Error(); got != "not found" {
		t.Errorf("NotFound().Error() = %q", got)
	}
}

func TestRedirectLocations(t *testing.T) {
	tests := []struct {
		name     string
		err      *web.Error
		path     string // where the handler is
		tls      bool
		code     int
		location string
	}{
		{"SeeOther", web.SeeOther("/target"), "/dir/rel", false, 303, "http://example.com/target"},
		{"Redirect", web.Redirect("/target"), "/dir/rel", false, 301, "http://example.com/target"},
		{"Found", web.Found("/target"), "/dir/rel", false, 302, "http://example.com/target"},
		{"TempRedirect", web.TempRedirect("/target"), "/dir/rel", false, 307, "http://example.com/target"},
		{"relative", web.SeeOther("other"), "/dir/rel", false, 303, "http://example.com/dir/other"},
		{"relative up", web.SeeOther("../up"), "/dir/sub/rel", false, 303, "http://example.com/dir/up"},
		{"relative query", web.SeeOther("?page=2"), "/dir/rel", false, 303, "http://example.com/dir/rel?page=2"},
		{"with query", web.SeeOther("/search?q=a+b&x=%2F"), "/dir/rel", false, 303, "http://example.com/search?q=a+b&x=%2F"},
		{"unparsable", web.SeeOther("/sale/100%"), "/dir/rel", false, 303, "http://example.com/sale/100%"},
		{"https", web.SeeOther("/target"), "/dir/rel", true, 303, "https://example.com/target"},
		{"absolute", web.SeeOther("https://other.example/x"), "/dir/rel", false, 303, "https://other.example/x"},
		// web.py keeps a scheme-relative target on its own host.
		{"scheme-relative", web.SeeOther("//evil.example/x"), "/dir/rel", false, 303, "http://example.com//evil.example/x"},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{tt.path, returns(nil, tt.err)})
		r := httptest.NewRequest("GET", tt.path, nil)
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		if w.Code != tt.code || w.Header().Get("Location") != tt.location || w.Body.String() != "" {
			t.Errorf("%s: got %d Location %q body %q, want %d %q and no body", tt.name, w.Code, w.Header().Get("Location"), w.Body, tt.code, tt.location)
		}
	}
}

func TestPlainErrorIsLoggedOnce(t *testing.T) {
	cause := errors.New("database is down: connection refused")
	app := newApp(t, web.URLs{"/", returns("partial", cause)})
	logs := captureLog(app)
	w := serve(app, "GET", "/", nil)
	if w.Code != 500 || w.Body.String() != "internal server error" {
		t.Errorf("got %d %q, want 500 internal server error", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "database") {
		t.Error("the cause leaked into the body")
	}
	if n := strings.Count(logs.String(), "database is down"); n != 1 {
		t.Errorf("cause logged %d times, want once:\n%s", n, logs)
	}
}

func TestPanic(t *testing.T) {
	var unloaded int
	app := newApp(t, web.URLs{
		"/boom", handle(func(*web.Context) (any, error) { panic("kaboom") }),
		"/nil", handle(func(c *web.Context) (any, error) {
			var m map[string]int
			//lint:ignore SA5000 the write to a nil map is the runtime error under test
			m["x"] = 1
			return nil, nil
		}),
		"/ok", returns("still here", nil),
	})
	app.UnloadHook(func(*web.Context) { unloaded++ })
	logs := captureLog(app)
	w := serve(app, "GET", "/boom", nil)
	if w.Code != 500 || w.Body.String() != "internal server error" {
		t.Errorf("panic: got %d %q", w.Code, w.Body)
	}
	out := logs.String()
	if strings.Count(out, "kaboom") != 1 || !strings.Contains(out, "runtime/debug.Stack") || !strings.Contains(out, "router_test.go") && !strings.Contains(out, "app_test.go") {
		t.Errorf("panic not logged once with its stack:\n%s", out)
	}
	if unloaded != 1 {
		t.Errorf("UnloadHook ran %d times for a panicking request, want 1", unloaded)
	}
	if w := serve(app, "GET", "/nil", nil); w.Code != 500 {
		t.Errorf("runtime error: got %d", w.Code)
	}
	if w := serve(app, "GET", "/ok", nil); w.Code != 200 || w.Body.String() != "still here" {
		t.Errorf("after a panic: got %d %q", w.Code, w.Body)
	}
}

func TestAbortHandlerPanicPassesThrough(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(*web.Context) (any, error) { panic(http.ErrAbortHandler) })})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler for net/http to abort the connection", v)
		}
	}()
	serve(app, "GET", "/", nil)
}

// inputEcho reports what Input made of the request.
func inputEcho(opts ...web.InputOption) handle {
	return func(c *web.Context) (any, error) {
		in, err := c.Input(opts...)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, k := range in.Keys() {
			fmt.Fprintf(&b, "%s=%s%q ", k, in.Get(k), in.List(k))
		}
		return strings.TrimSpace(b.String()), nil
	}
}

func multipartBody(t *testing.T, fields ...string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

func TestInput(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	mp, mpType := multipartBody(t, "x", "form", "tag", "m1", "tag", "m2")
	tests := []struct {
		name, method, target string
		body                 io.Reader
		ctype                string
		opts                 []web.InputOption
		code                 int
		want                 string
	}{
		{"query", "GET", "/?a=1&b=2", nil, "", nil, 200, `a=1["1"] b=2["2"]`},
		{"defaults", "GET", "/?a=1", nil, "", []web.InputOption{web.Default("a", "9"), web.Default("page", "1")}, 200, `a=1["1"] page=1["1"]`},
		{"list default", "GET", "/", nil, "", []web.InputOption{web.Default("tag")}, 200, `tag=[]`},
		{"list default with values", "GET", "/", nil, "", []web.InputOption{web.Default("tag", "x", "y")}, 200, `tag=y["x" "y"]`},
		{"repeated keys", "GET", "/?tag=a&tag=b", nil, "", nil, 200, `tag=b["a" "b"]`},
		{"required present", "GET", "/?name=ann", nil, "", []web.InputOption{web.Required("name")}, 200, `name=ann["ann"]`},
		{"required empty is present", "GET", "/?name=", nil, "", []web.InputOption{web.Required("name")}, 200, `name=[""]`},
		{"required missing", "GET", "/?name=ann", nil, "", []web.InputOption{web.Required("name", "email", "age")}, 400, "missing input: email, age"},
		{"required met by default", "GET", "/", nil, "", []web.InputOption{web.Required("page"), web.Default("page", "1")}, 200, `page=1["1"]`},
		{"body wins over query", "POST", "/?x=query&q=only", strings.NewReader("x=form"), form, nil, 200, `q=only["only"] x=form["form" "query"]`},
		{"multipart body wins", "POST", "/?x=query", mp, mpType, nil, 200, `tag=m2["m1" "m2"] x=form["form" "query"]`},
		{"PUT body", "PUT", "/?x=query", strings.NewReader("x=put"), form + "; charset=utf-8", nil, 200, `x=put["put" "query"]`},
		{"FromQuery", "POST", "/?x=query", strings.NewReader("x=form&y=1"), form, []web.InputOption{web.FromQuery()}, 200, `x=query["query"]`},
		{"FromBody", "POST", "/?x=query&q=1", strings.NewReader("x=form"), form, []web.InputOption{web.FromBody()}, 200, `x=form["form"]`},
		{"FromBody required", "POST", "/?name=q", strings.NewReader("x=form"), form, []web.InputOption{web.FromBody(), web.Required("name")}, 400, "missing input: name"},
		{"GET body ignored", "GET", "/?x=query", strings.NewReader("x=form"), form, nil, 200, `x=query["query"]`},
		{"other body type ignored", "POST", "/?x=query", strings.NewReader(`{"x":"json"}`), "application/json", nil, 200, `x=query["query"]`},
		{"malformed form", "POST", "/", strings.NewReader("x=%zz"), form, nil, 400, ""},
		{"malformed multipart", "POST", "/", strings.NewReader("garbage"), "multipart/form-data; boundary=xyz", nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newApp(t, web.URLs{"/", inputEcho(tt.opts...)})
			w := serve(app, tt.method, tt.target, tt.body, "Content-Type", tt.ctype)
			if w.Code != tt.code || (tt.want != "" || tt.code == 200) && w.Body.String() != tt.want {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.code, tt.want)
			}
		})
	}
}

func TestInputStorage(t *testing.T) {
	var in *web.Storage
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		var err error
		in, err = c.Input(web.Default("d", "1"))
		return nil, err
	})})
	serve(app, "POST", "/?q=1", strings.NewReader("b=2"), "Content-Type", "application/x-www-form-urlencoded")
	if !in.Has("q") || !in.Has("b") || !in.Has("d") || in.Has("zz") || in.Get("zz") != "" || in.List("zz") != nil {
		t.Errorf("Has/Get/List disagree: %v", in.Keys())
	}
	if got := fmt.Sprint(in.Keys()); got != "[b d q]" {
		t.Errorf("Keys = %s", got)
	}
}

func TestBodyLimit(t *testing.T) {
	big := strings.Repeat("a", 64)
	mp, mpType := multipartBody(t, "x", big)
	tests := []struct {
		name  string
		h     handle
		body  io.Reader
		ctype string
	}{
		{"Body", func(c *web.Context) (any, error) { return c.Body() }, strings.NewReader(big), "text/plain"},
		{"urlencoded Input", inputEcho(), strings.NewReader("x=" + big), "application/x-www-form-urlencoded"},
		{"multipart Input", inputEcho(), mp, mpType},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", tt.h})
		app.MaxBodyBytes = 16
		w := serve(app, "POST", "/", tt.body, "Content-Type", tt.ctype)
		if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "16 bytes") {
			t.Errorf("%s: got %d %q, want 413 naming the limit", tt.name, w.Code, w.Body)
		}
	}
}

func TestBody(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		b, err := c.Body()
		if err != nil {
			return nil, err
		}
		again, _ := c.Body() // read once, kept
		in, err := c.Input()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("%s|%s|%s", b, again, in.Get("k")), nil
	})})
	w := serve(app, "POST", "/", strings.NewReader("k=v&w=1"), "Content-Type", "application/x-www-form-urlencoded")
	if w.Body.String() != "k=v&w=1|k=v&w=1|v" {
		t.Errorf("got %q", w.Body)
	}
	// A hand-built request without a body does not crash Body.
	r := &http.Request{Method: "GET", URL: &url.URL{Path: "/"}, Header: http.Header{}, Host: "example.com", RemoteAddr: "192.0.2.1:1"}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Body.String() != "||" {
		t.Errorf("nil body: got %d %q", rec.Code, rec.Body)
	}
}

func TestHeaders(t *testing.T) {
	var errs []string
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		check := func(err error) {
			if err != nil {
				errs = append(errs, err.Error())
			} else {
				errs = append(errs, "ok")
			}
		}
		check(c.SetHeader("X-One", "1"))
		check(c.SetHeader("X-One", "one"))
		check(c.AddHeader("X-Many", "a"))
		check(c.AddHeader("X-Many", "b"))
		check(c.SetHeader("X-Split", "a\r\nSet-Cookie: evil=1"))
		check(c.AddHeader("X-Split", "a\nb"))
		check(c.SetHeader("X-Split", "a\rb"))
		check(c.SetHeader("X-Nul", "a\x00b"))
		check(c.SetHeader("Bad Name", "v"))
		check(c.AddHeader("Bad:Name", "v"))
		check(c.SetHeader("Bad\r\nName", "v"))
		check(c.SetHeader("", "v"))
		return c.Header("X-Request") + "|" + c.Header("x-request") + "|" + c.Header("Missing"), nil
	})})
	w := serve(app, "GET", "/", nil, "X-Request", "from client")
	if w.Body.String() != "from client|from client|" {
		t.Errorf("request headers: %q", w.Body)
	}
	h := w.Header()
	if h.Get("X-One") != "one" || fmt.Sprint(h.Values("X-Many")) != "[a b]" || h.Get("X-Split") != "" || h.Get("X-Nul") != "" || h.Get("Set-Cookie") != "" {
		t.Errorf("response headers: %v", h)
	}
	for i, e := range errs {
		if want := i < 4; (e == "ok") != want {
			t.Errorf("call %d: %s", i, e)
		}
	}
	if len(errs) != 12 {
		t.Errorf("%d results", len(errs))
	}
}

func TestCookies(t *testing.T) {
	expires := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	var errs []error
	blog := newApp(t, web.URLs{"/p", handle(func(c *web.Context) (any, error) {
		errs = append(errs, c.SetCookie(&http.Cookie{Name: "in", Value: "mount"}), c.DeleteCookie("in"))
		return nil, nil
	})})
	app := newApp(t, web.URLs{
		"/get", handle(func(c *web.Context) (any, error) {
			a, okA := c.Cookie("a")
			m, okM := c.Cookie("missing")
			return fmt.Sprintf("%s %v %q %v", a, okA, m, okM), nil
		}),
		"/set", handle(func(c *web.Context) (any, error) {
			errs = append(errs,
				c.SetCookie(&http.Cookie{Name: "full", Value: "v1", Path: "/p", Domain: "example.com", Expires: expires,
					MaxAge: 60, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode, Partitioned: true}),
				c.SetCookie(&http.Cookie{Name: "plain", Value: "v2"}),
				c.SetCookie(&http.Cookie{Name: "semi", Value: "a;b"}),
				c.SetCookie(&http.Cookie{Name: "space", Value: "a b"}),
				c.SetCookie(&http.Cookie{Name: "comma", Value: "a,b"}),
				c.SetCookie(&http.Cookie{Name: "quote", Value: `a"b`}),
				c.SetCookie(&http.Cookie{Name: "bad name", Value: "v"}),
				c.SetCookie(&http.Cookie{Name: "path", Value: "v", Path: "/a;b"}),
				c.SetCookie(&http.Cookie{Name: "part", Value: "v", Partitioned: true}), // needs Secure
			)
			return nil, nil
		}),
		"/del", handle(func(c *web.Context) (any, error) {
			errs = append(errs, c.DeleteCookie("sid"))
			return nil, nil
		}),
		"/blog", blog,
	})
	if w := serve(app, "GET", "/get", nil, "Cookie", "a=1; b=2"); w.Body.String() != `1 true "" false` {
		t.Errorf("Cookie: %q", w.Body)
	}

	w := serve(app, "GET", "/set", nil)
	set := w.Result().Header.Values("Set-Cookie")
	if len(set) != 2 {
		t.Fatalf("Set-Cookie %q, want the two valid cookies only", set)
	}
	for _, attr := range []string{"full=v1", "Path=/p", "Domain=example.com", "Expires=Tue, 06 May 2031 07:08:09 GMT",
		"Max-Age=60", "HttpOnly", "Secure", "SameSite=Strict", "Partitioned"} {
		if !strings.Contains(set[0], attr) {
			t.Errorf("Set-Cookie %q lacks %s", set[0], attr)
		}
	}
	// web.py's default path is the application's home path plus "/".
	if set[1] != "plain=v2; Path=/" {
		t.Errorf("Set-Cookie %q, want plain=v2; Path=/", set[1])
	}
	for i, err := range errs {
		if (err == nil) != (i < 2) {
			t.Errorf("SetCookie %d: error %v", i, err)
		}
	}

	errs = nil
	w = serve(app, "GET", "/del", nil)
	del := w.Result().Header.Get("Set-Cookie")
	if errs[0] != nil || !strings.HasPrefix(del, "sid=;") || !strings.Contains(del, "Max-Age=0") ||
		!strings.Contains(del, "Expires=Thu, 01 Jan 1970 00:00:00 GMT") || !strings.Contains(del, "Path=/") {
		t.Errorf("DeleteCookie: %q, %v", del, errs)
	}
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].MaxAge != -1 || !ck[0].Expires.Before(time.Now()) {
		t.Errorf("DeleteCookie as the client parses it: %+v", ck)
	}

	errs = nil
	w = serve(app, "GET", "/blog/p", nil)
	set = w.Result().Header.Values("Set-Cookie")
	if errs[0] != nil || errs[1] != nil || len(set) != 2 || set[0] != "in=mount; Path=/blog/" || !strings.Contains(set[1], "Path=/blog/") {
		t.Errorf("cookies in a mount: %q %v", set, errs)
	}
}

func TestContextFields(t *testing.T) {
	info := handle(func(c *web.Context) (any, error) {
		return strings.Join([]string{c.Method(), c.Path(), c.Query(), c.FullPath(), c.HomeDomain(), c.HomePath(), c.Home(), c.IP()}, "|"), nil
	})
	app := newApp(t, web.URLs{"/ctx/p", info})
	if w := serve(app, "GET", "/ctx/p?q=1&q=2", nil); w.Body.String() != "GET|/ctx/p|?q=1&q=2|/ctx/p?q=1&q=2|http://example.com||http://example.com|192.0.2.1" {
		t.Errorf("got %q", w.Body)
	}
	r := httptest.NewRequest("POST", "https://shop.example:8443/ctx/p", nil)
	r.RemoteAddr = "[2001:db8::1]:5555"
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	if w.Body.String() != "POST|/ctx/p||/ctx/p|https://shop.example:8443||https://shop.example:8443|2001:db8::1" {
		t.Errorf("got %q", w.Body)
	}
	app.ClientIP = func(r *http.Request) string { return "203.0.113.9 via " + r.Header.Get("X-Real-IP") }
	if w := serve(app, "GET", "/ctx/p", nil, "X-Real-IP", "10.1.1.1"); !strings.HasSuffix(w.Body.String(), "|203.0.113.9 via 10.1.1.1") {
		t.Errorf("custom ClientIP: %q", w.Body)
	}
}

func TestEscapeHatches(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		c.Response.Header().Set("X-Direct", "yes")
		return c.Request.UserAgent(), nil
	})})
	w := serve(app, "GET", "/", nil, "User-Agent", "tester/1")
	if w.Body.String() != "tester/1" || w.Header().Get("X-Direct") != "yes" {
		t.Errorf("got %q %v", w.Body, w.Header())
	}
}

func TestNotFoundHook(t *testing.T) {
	app := newApp(t, web.URLs{"/", returns("home", nil)})
	app.NotFound = func(c *web.Context) (any, error) {
		return nil, web.HTTPError(http.StatusNotFound, "no page at "+c.Path())
	}
	if w := serve(app, "GET", "/missing", nil); w.Code != 404 || w.Body.String() != "no page at /missing" {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

func TestProcessorsAndHooks(t *testing.T) {
	var order []string
	app := newApp(t, web.URLs{
		"/", handle(func(*web.Context) (any, error) { order = append(order, "handler"); return "body", nil }),
		"/fail", handle(func(*web.Context) (any, error) { order = append(order, "handler"); return nil, errors.New("x") }),
	})
	captureLog(app)
	named := func(name string) web.Processor {
		return func(c *web.Context, next func() (any, error)) (any, error) {
			order = append(order, name+" before")
			v, err := next()
			order = append(order, name+" after")
			return v, err
		}
	}
	app.AddProcessor(named("p1"))
	app.AddProcessor(named("p2"))
	app.LoadHook(func(*web.Context) { order = append(order, "loadhook") })
	app.UnloadHook(func(*web.Context) { order = append(order, "unloadhook") })

	// web.py's transcript for the same set-up, plus where the handler runs.
	want := "[p1 before p2 before loadhook handler unloadhook p2 after p1 after]"
	for _, path := range []string{"/", "/fail"} {
		order = nil
		serve(app, "GET", path, nil)
		if fmt.Sprint(order) != want {
			t.Errorf("GET %s order %q, want %s", path, order, want)
		}
	}
	// Processors run for unrouted paths too, as in web.py.
	order = nil
	if w := serve(app, "GET", "/nowhere", nil); w.Code != 404 || fmt.Sprint(order) != "[p1 before p2 before loadhook unloadhook p2 after p1 after]" {
		t.Errorf("404: %d %q", w.Code, order)
	}
}

func TestProcessorReplacesResult(t *testing.T) {
	app := newApp(t, web.URLs{"/", returns("original", nil), "/err", returns(nil, web.Forbidden())})
	app.AddProcessor(func(c *web.Context, next func() (any, error)) (any, error) {
		v, err := next()
		if err != nil {
			return "recovered from " + err.Error(), nil
		}
		return fmt.Sprintf("<%v>", v), nil
	})
	if w := serve(app, "GET", "/", nil); w.Body.String() != "<original>" {
		t.Errorf("got %q", w.Body)
	}
	if w := serve(app, "GET", "/err", nil); w.Code != 200 || w.Body.String() != "recovered from forbidden" {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
	// A processor may also answer without calling the handler.
	app2 := newApp(t, web.URLs{"/", returns("never", nil)})
	app2.AddProcessor(func(c *web.Context, next func() (any, error)) (any, error) {
		return nil, web.Unauthorized()
	})
	if w := serve(app2, "GET", "/", nil); w.Code != 401 {
		t.Errorf("short-circuit: %d", w.Code)
	}
}

func TestSubApplicationProcessors(t *testing.T) {
	var order []string
	child := newApp(t, web.URLs{"/x", handle(func(*web.Context) (any, error) { order = append(order, "handler"); return "x", nil })})
	child.LoadHook(func(*web.Context) { order = append(order, "child load") })
	app := newApp(t, web.URLs{"/sub", child})
	app.LoadHook(func(*web.Context) { order = append(order, "parent load") })
	app.UnloadHook(func(*web.Context) { order = append(order, "parent unload") })
	if w := serve(app, "GET", "/sub/x", nil); w.Body.String() != "x" || fmt.Sprint(order) != "[parent load child load handler parent unload]" {
		t.Errorf("got %q, order %q", w.Body, order)
	}
}

func TestMiddlewareOrder(t *testing.T) {
	var order []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name+" in")
				next.ServeHTTP(w, r)
				order = append(order, name+" out")
			})
		}
	}
	app := newApp(t, web.URLs{"/", handle(func(*web.Context) (any, error) { order = append(order, "handler"); return "ok", nil })})
	app.Use(mw("a"), mw("b"))
	app.Use(mw("c"))
	serve(app, "GET", "/", nil)
	if got := fmt.Sprint(order); got != "[a in b in c in handler c out b out a out]" {
		t.Errorf("order %s", got)
	}
}

// staticTree lays out dir/static with files, a subfolder, and links that
// point out of it, next to files that must never be served.
func staticTree(t *testing.T) string {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	static := filepath.Join(dir, "static")
	must(os.MkdirAll(filepath.Join(static, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module secret"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret"), 0o644))
	must(os.WriteFile(filepath.Join(static, "hello.txt"), []byte("hello static"), 0o644))
	must(os.WriteFile(filepath.Join(static, "style.css"), []byte("p{}"), 0o644))
	must(os.WriteFile(filepath.Join(static, "sub", "inner.txt"), []byte("inner"), 0o644))
	must(os.WriteFile(filepath.Join(static, "sub", "index.html"), []byte("index"), 0o644))
	must(os.Symlink(filepath.Join(dir, "secret.txt"), filepath.Join(static, "abs-link")))
	must(os.Symlink("../secret.txt", filepath.Join(static, "rel-link")))
	must(os.Symlink("..", filepath.Join(static, "up")))
	must(os.Symlink("hello.txt", filepath.Join(static, "inside-link")))
	return static
}

func TestStaticFiles(t *testing.T) {
	static := staticTree(t)
	app := newApp(t, web.URLs{"/", returns("root", nil), "/static/x/:y", returns("routed", nil)})
	app.StaticDir = static
	tests := []struct {
		method, target string
		code           int
		body           string
	}{
		{"GET", "/static/hello.txt", 200, "hello static"},
		{"GET", "/static/sub/inner.txt", 200, "inner"},
		{"GET", "/static/inside-link", 200, "hello static"},
		{"HEAD", "/static/hello.txt", 200, ""},
		{"POST", "/static/hello.txt", 405, ""},
		{"GET", "/static/sub", 404, ""},
		{"GET", "/static/sub/", 404, ""},
		{"GET", "/static/", 404, ""},
		{"GET", "/static/missing.txt", 404, ""},
		{"GET", "/static/x/y", 404, ""}, // static files come before the URL tuple
	}
	escapes := []string{
		"/static/../go.mod",
		"/static/../secret.txt",
		"/static/%2e%2e%2fgo.mod",
		"/static/%2e%2e/go.mod",
		"/static/..%2fgo.mod",
		"/static/%2E%2E%2Fgo.mod",
		"/static/%252e%252e%252fgo.mod",
		"/static/%252e%252e/go.mod",
		"/static/sub/../../go.mod",
		"/static/sub/%2e%2e/%2e%2e/go.mod",
		"/static//etc/passwd",
		"/static/" + filepath.Join(filepath.Dir(static), "go.mod"),
		"/static/abs-link",
		"/static/rel-link",
		"/static/up/secret.txt",
		"/static/up/go.mod",
		"/static/..%5cgo.mod",
		"/static/%00",
	}
	for _, e := range escapes {
		tests = append(tests, struct {
			method, target string
			code           int
			body           string
		}{"GET", e, 404, ""})
	}
	for _, tt := range tests {
		w := serve(app, tt.method, tt.target, nil)
		body := w.Body.String()
		if w.Code != tt.code || tt.code == 200 && body != tt.body || strings.Contains(body, "secret") {
			t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.target, w.Code, body, tt.code, tt.body)
		}
	}
	w := serve(app, "GET", "/static/style.css", nil)
	if ct := w.Header().Get("Content-Type"); ct != "text/css; charset=utf-8" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("style.css: %v", w.Header())
	}
	if w := serve(app, "GET", "/static/hello.txt", nil, "If-Modified-Since", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)); w.Code != 304 {
		t.Errorf("conditional GET: %d", w.Code)
	}

	// StaticDir "" turns static files off: the URL tuple sees /static/.
	app.StaticDir = ""
	if w := serve(app, "GET", "/static/x/y", nil); w.Code != 200 || w.Body.String() != "routed" {
		t.Errorf("StaticDir \"\": %d %q", w.Code, w.Body)
	}
	if w := serve(app, "GET", "/static/hello.txt", nil); w.Code != 404 {
		t.Errorf("StaticDir \"\": %d %q", w.Code, w.Body)
	}
	// A missing folder serves nothing, and a mounted application never
	// serves static files itself.
	app.StaticDir = filepath.Join(static, "nope")
	if w := serve(app, "GET", "/static/hello.txt", nil); w.Code != 404 {
		t.Errorf("missing folder: %d", w.Code)
	}
	child := newApp(t, web.URLs{"/static/hello.txt", returns("child route", nil)})
	child.StaticDir = static
	parent := newApp(t, web.URLs{"/c", child})
	parent.StaticDir = ""
	if w := serve(parent, "GET", "/c/static/hello.txt", nil); w.Body.String() != "child route" {
		t.Errorf("mounted: %q", w.Body)
	}
}

func TestStaticOverRealServer(t *testing.T) {
	// The same escapes sent on the wire, where no client cleans the path.
	static := staticTree(t)
	app := newApp(t, web.URLs{})
	app.StaticDir = static
	srv := httptest.NewServer(app)
	defer srv.Close()
	for _, p := range []string{"/static/../go.mod", "/static/%2e%2e%2fgo.mod", "/static/..%2fgo.mod", "/static/%2e%2e/secret.txt"} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", p)
		raw, _ := io.ReadAll(conn)
		conn.Close()
		if !bytes.HasPrefix(raw, []byte("HTTP/1.1 404")) || bytes.Contains(raw, []byte("secret")) {
			t.Errorf("%s: %q", p, raw)
		}
	}
}

func TestTemplates(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "page.html"), []byte(`<p title="{{.}}">{{.}}</p><a href="/x?q={{.}}">l</a>`), 0o644)
	os.WriteFile(filepath.Join(dir, "upper.tmpl"), []byte(`{{shout .}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.html"), []byte(`{{.Missing.Field}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte(`not a template`), 0o644)
	render := web.NewTemplates(dir)
	render.Funcs = map[string]any{"shout": strings.ToUpper}
	app := newApp(t, web.URLs{
		"/page", handle(func(*web.Context) (any, error) { return render.Render("page", `<script>"&'`) }),
		"/full", handle(func(*web.Context) (any, error) { return render.Render("page.html", "ok") }),
		"/tmpl", handle(func(*web.Context) (any, error) { return render.Render("upper.tmpl", "hi") }),
		"/missing", handle(func(*web.Context) (any, error) { return render.Render("nope", nil) }),
		"/txt", handle(func(*web.Context) (any, error) { return render.Render("notes.txt", nil) }),
		"/broken", handle(func(*web.Context) (any, error) { return render.Render("broken", 5) }),
	})
	logs := captureLog(app)
	w := serve(app, "GET", "/page", nil)
	want := `<p title="&lt;script&gt;&#34;&amp;&#39;">&lt;script&gt;&#34;&amp;&#39;</p><a href="/x?q=%3cscript%3e%22%26%27">l</a>`
	if w.Code != 200 || w.Body.String() != want || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("got %d %q %q\nwant %q", w.Code, w.Body, w.Header().Get("Content-Type"), want)
	}
	if w := serve(app, "GET", "/full", nil); w.Body.String() != `<p title="ok">ok</p><a href="/x?q=ok">l</a>` {
		t.Errorf("by file name: %q", w.Body)
	}
	if w := serve(app, "GET", "/tmpl", nil); w.Body.String() != "HI" {
		t.Errorf("Funcs: %q", w.Body)
	}
	for _, p := range []string{"/missing", "/txt", "/broken"} {
		if w := serve(app, "GET", p, nil); w.Code != 500 || w.Body.String() != "internal server error" {
			t.Errorf("%s: %d %q", p, w.Code, w.Body)
		}
	}
	if out := logs.String(); !strings.Contains(out, `no template \"nope\"`) || !strings.Contains(out, "broken") {
		t.Errorf("template errors not logged: %s", out)
	}
	if _, err := web.NewTemplates(filepath.Join(dir, "absent")).Render("x", nil); err == nil {
		t.Error("a missing folder rendered")
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "syntax.html"), []byte("{{if}}"), 0o644)
	if _, err := web.NewTemplates(bad).Render("syntax", nil); err == nil || !strings.Contains(err.Error(), "syntax.html") {
		t.Errorf("a template with a syntax error: %v", err)
	}
}

func TestTemplatesReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.html")
	os.WriteFile(file, []byte("one"), 0o644)
	cached, live := web.NewTemplates(dir), web.NewTemplates(dir)
	live.Reload = true
	cached.Render("t", nil)
	live.Render("t", nil)
	os.WriteFile(file, []byte("two"), 0o644)
	a, _ := cached.Render("t", nil)
	b, _ := live.Render("t", nil)
	if a != "one" || b != "two" {
		t.Errorf("cached %q, reloaded %q", a, b)
	}
}

func TestSessionWithoutManager(t *testing.T) {
	app := newApp(t, web.URLs{"/count", handle(func(c *web.Context) (any, error) {
		s := c.Session()
		n := s.Int("count") + 1
		s.Set("count", n)
		return n, nil
	})})
	logs := captureLog(app)
	w := serve(app, "GET", "/count", nil)
	if w.Code != 500 || w.Body.String() != "internal server error" {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
	if out := logs.String(); strings.Count(out, "level=ERROR") != 1 || !strings.Contains(out, "app.Use(manager.Middleware)") {
		t.Errorf("the log does not say how to install a session manager:\n%s", out)
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		arg, network, addr string
		err                bool
	}{
		// webpy.md §3.7, form by form.
		{"", "tcp", "0.0.0.0:8080", false},
		{"8000", "tcp", "0.0.0.0:8000", false},
		{"127.0.0.1", "tcp", "127.0.0.1:8080", false},
		{"127.0.0.1:8000", "tcp", "127.0.0.1:8000", false},
		{"[::1]:8000", "tcp", "[::1]:8000", false},
		{"::", "tcp", "[::]:8080", false},
		{"/tmp/sock", "unix", "/tmp/sock", false},
		// web.py refuses host names; this accepts localhost and the
		// names of /etc/hosts (run_internal_test.go), never DNS.
		{"localhost:8000", "tcp", "localhost:8000", false},
		{"localhost", "tcp", "localhost:8080", false},
		{"LocalHost:80", "tcp", "LocalHost:80", false},
		{"fff", "", "", true},
		{"bogus", "", "", true},
		{"bogus:8000", "", "", true},
		{"808O", "", "", true},
		{"my-host.example.org:80", "", "", true},
		{"localhost.example.org", "", "", true},
		// More forms.
		{"::1", "tcp", "[::1]:8080", false},
		{"[::1]", "tcp", "[::1]:8080", false},
		{"[2001:db8::1]:443", "tcp", "[2001:db8::1]:443", false},
		{":8000", "tcp", ":8000", false},
		{"0", "tcp", "0.0.0.0:0", false},
		{"65535", "tcp", "0.0.0.0:65535", false},
		{"./app.sock", "unix", "./app.sock", false},
		// Mistakes.
		{"65536", "", "", true},
		{"99999999999999999999", "", "", true},
		{"127.0.0.1:99999", "", "", true},
		{"127.0.0.1:", "", "", true},
		{"127.0.0.1:http", "", "", true},
		{"127.0.0.1:-1", "", "", true},
		{"localhost:80a", "", "", true},
		{"f_f", "", "", true},
		{"fff:", "", "", true},
		{"a..b", "", "", true},
		{"host name", "", "", true},
		{":::", "", "", true},
		{"[::1]:", "", "", true},
		{"[::1", "", "", true},
		{"1.2.3.4:5:6", "", "", true},
		{"[1.2.3.4]", "", "", true},
		{"[zz]", "", "", true},
	}
	for _, tt := range tests {
		network, addr, err := web.ParseAddr(tt.arg)
		if network != tt.network || addr != tt.addr || (err != nil) != tt.err {
			t.Errorf("ParseAddr(%q) = %q, %q, %v; want %q, %q, error %v", tt.arg, network, addr, err, tt.network, tt.addr, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.arg)) {
			t.Errorf("ParseAddr(%q): error %q does not quote the argument", tt.arg, err)
		}
	}
	// A name that is not this machine's says what to write instead.
	_, _, err := web.ParseAddr("bogus")
	for _, s := range []string{"not an IP address", "DNS", "8080", "127.0.0.1:8080", "socket"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("ParseAddr(\"bogus\"): error %v does not mention %q", err, s)
		}
	}
}

// closeSignal is a listener that reports when the server closes it, which
// Shutdown does first of all.
type closeSignal struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

// Close closes the listener, then signals: a test that dials once the
// signal came must find the port closed.
func (l *closeSignal) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

func TestServeGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	app := newApp(t, web.URLs{
		"/slow", handle(func(*web.Context) (any, error) {
			close(started)
			<-release
			return "finished", nil
		}),
		"/fast", returns("fast", nil),
	})
	logs := captureLog(app)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &closeSignal{Listener: inner, closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()

	base := "http://" + inner.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(base + "/fast")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "fast" {
		t.Fatalf("/fast: %d %q", resp.StatusCode, b)
	}

	type result struct {
		code int
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := client.Get(base + "/slow?x=1")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{resp.StatusCode, string(b), err}
	}()
	<-started
	cancel()
	<-ln.closed // shutdown has begun, with /slow still in its handler
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v before the request in flight finished", err)
	default:
	}
	if _, err := net.Dial("tcp", inner.Addr().String()); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	close(release)
	r := <-slow
	if r.err != nil || r.code != 200 || r.body != "finished" {
		t.Errorf("in-flight request: %d %q %v", r.code, r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	// One line per request, with its method, URI and status.
	out := logs.String()
	if strings.Count(out, "\n") != 2 || strings.Count(out, `msg="GET /fast"`) != 1 || strings.Count(out, `msg="GET /slow?x=1"`) != 1 ||
		strings.Count(out, "status=200") != 2 || !strings.Contains(out, "ip=127.0.0.1") {
		t.Errorf("request log:\n%s", out)
	}
}

func TestServeListenerError(t *testing.T) {
	app := newApp(t, web.URLs{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := app.Serve(context.Background(), ln); err == nil {
		t.Error("Serve on a closed listener returned nil")
	}
}

type celsius float64

type label string

type flag bool

type small int8

type id uint16

func TestNamedBasicResults(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{celsius(21.5), "21.5"},
		{label("named"), "named"},
		{flag(true), "true"},
		{small(-3), "-3"},
		{id(65535), "65535"},
		{float32(2.5), "2.5"},
		{time.Month(3), "March"}, // a Stringer first
		{http.ConnState(0), "new"},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", returns(tt.v, nil)})
		w := serve(app, "GET", "/", nil)
		if w.Code != 200 || w.Body.String() != tt.want || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%T: got %d %q %q, want %q", tt.v, w.Code, w.Body, w.Header().Get("Content-Type"), tt.want)
		}
	}
}

func TestInvalidStatus(t *testing.T) {
	status := func(code int) handle {
		return func(c *web.Context) (any, error) { c.SetStatus(code); return "body", nil }
	}
	tests := []struct {
		name string
		h    handle
		code int
		log  bool
	}{
		{"SetStatus(0) is the default", status(0), 200, false},
		{"SetStatus(42)", status(42), 500, true},
		{"SetStatus(101)", status(101), 500, true},
		{"SetStatus(1000)", status(1000), 500, true},
		{"SetStatus(599)", status(599), 599, false},
		{"HTTPError(0)", returns(nil, web.HTTPError(0, "zero")), 500, true},
		{"HTTPError(1000)", returns(nil, web.HTTPError(1000, "big")), 500, true},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", tt.h})
		logs := captureLog(app)
		var w *httptest.ResponseRecorder
		func() {
			defer func() {
				if v := recover(); v != nil {
					t.Fatalf("%s: panicked: %v", tt.name, v)
				}
			}()
			w = serve(app, "GET", "/", nil)
		}()
		if w.Code != tt.code || (logs.String() != "") != tt.log {
			t.Errorf("%s: got %d, log %q; want %d, log %v", tt.name, w.Code, logs, tt.code, tt.log)
		}
	}
}

func TestSetCookieNil(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		return fmt.Sprint(c.SetCookie(nil) != nil), nil
	})})
	if w := serve(app, "GET", "/", nil); w.Body.String() != "true" || w.Header().Get("Set-Cookie") != "" {
		t.Errorf("got %q %v", w.Body, w.Header())
	}
}

func TestMultipartAfterTooBigBody(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		c.Body() // fails: too big
		_, err := c.Input()
		return nil, err
	})})
	app.MaxBodyBytes = 8
	body, ctype := multipartBody(t, "x", "a value longer than eight bytes")
	if w := serve(app, "POST", "/", body, "Content-Type", ctype); w.Code != 413 {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

func TestMultipartAfterBody(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		raw, err := c.Body()
		if err != nil {
			return nil, err
		}
		in, err := c.Input()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("%v %s", len(raw) > 0, in.Get("x")), nil
	})})
	body, ctype := multipartBody(t, "x", "field")
	if w := serve(app, "POST", "/", body, "Content-Type", ctype); w.Code != 200 || w.Body.String() != "true field" {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
}

func TestUploadTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart spills large files
	var spilled []string
	app := newApp(t, web.URLs{"/upload", handle(func(c *web.Context) (any, error) {
		in, err := c.Input()
		if err != nil {
			return nil, err
		}
		f := c.Request.MultipartForm.File["file"][0]
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			spilled = append(spilled, e.Name())
		}
		return fmt.Sprintf("%s %d", in.Get("name"), f.Size), nil
	})})
	app.MaxBodyBytes = 32 << 20
	// A middleware that copies the request, as session middleware does,
	// so net/http's own clean-up does not see the parsed form.
	type copyKey struct{} // a key of its own, as context.WithValue wants
	app.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
		})
	})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("name", "big.bin")
	fw, _ := mw.CreateFormFile("file", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 9<<20))
	mw.Close()
	w := serve(app, "POST", "/upload", &buf, "Content-Type", mw.FormDataContentType())
	if w.Code != 200 || w.Body.String() != fmt.Sprintf("big.bin %d", 9<<20) {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	if len(spilled) == 0 {
		t.Fatal("the upload was not spilled to a temporary file; the test proves nothing")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestServeLogsToLogger(t *testing.T) {
	app := newApp(t, web.URLs{"/twice", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, flushable := w.(http.Flusher)
		if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
			flushable = false // the log wrapper hides the connection
		}
		w.WriteHeader(200)
		if flushable {
			f.Flush()
		}
		w.WriteHeader(500) // a mistake net/http reports through the server's ErrorLog
		fmt.Fprint(w, flushable)
	})})
	logs := captureLog(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/twice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(b) != "true" {
		t.Errorf("got %d %q; a handler under Serve must be able to flush", resp.StatusCode, b)
	}
	if out := logs.String(); !strings.Contains(out, "superfluous") || !strings.Contains(out, "level=WARN") {
		t.Errorf("the server's own message did not reach the Logger:\n%s", out)
	}
}

// startRun runs app.Run with args as the command line and returns what it
// prints (the URL first) and a channel with Run's result.
func startRun(t *testing.T, app *web.Application, args ...string) (string, <-chan error) {
	t.Helper()
	oldArgs, oldStdout := os.Args, os.Stdout
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Args, os.Stdout = append([]string{"app"}, args...), pw
	defer func() { os.Args, os.Stdout = oldArgs, oldStdout }()
	done := make(chan error, 1)
	go func() { done <- app.Run() }()
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 256)
		n, _ := pr.Read(b)
		line <- strings.TrimSpace(string(b[:n]))
	}()
	select {
	case l := <-line:
		pw.Close()
		return l, done
	case err := <-done:
		pw.Close()
		pr.Close()
		return "", func() <-chan error { c := make(chan error, 1); c <- err; return c }()
	}
}

func TestRun(t *testing.T) {
	app := newApp(t, web.URLs{"/", returns("running", nil)})
	logs := captureLog(app)
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	for _, tt := range []struct {
		name string
		args []string
		port string
		sig  syscall.Signal
		host string // what the printed URL starts with
		note string // the line after it, up to the port
	}{
		{"argument, SIGINT", []string{"127.0.0.1:0"}, "", syscall.SIGINT, "http://127.0.0.1:", ""},
		{"argument wins over PORT, SIGTERM", []string{"127.0.0.1:0"}, "not-a-port", syscall.SIGTERM, "http://127.0.0.1:", ""},
		// Every interface: a URL that opens, and a line saying so.
		{"PORT", nil, "0", syscall.SIGINT, "http://127.0.0.1:", "listening on all interfaces (0.0.0.0:"},
		{"no host", []string{":0"}, "", syscall.SIGTERM, "http://127.0.0.1:", "listening on all interfaces (0.0.0.0:"},
		{"all interfaces", []string{"0.0.0.0:0"}, "", syscall.SIGTERM, "http://127.0.0.1:", "listening on all interfaces (0.0.0.0:"},
		{"host name", []string{"localhost:0"}, "", syscall.SIGINT, "http://localhost:", ""},
	} {
		t.Setenv("PORT", tt.port)
		out, done := startRun(t, app, tt.args...)
		u, note, _ := strings.Cut(out, "\n")
		if !strings.HasPrefix(u, "http://") || !strings.HasSuffix(u, "/") {
			t.Fatalf("%s: Run printed %q, or failed: %v", tt.name, out, <-done)
		}
		if !strings.HasPrefix(u, tt.host) || strings.HasSuffix(u, ":0/") {
			t.Errorf("%s: Run printed %s, want %sPORT/ with the port it got", tt.name, u, tt.host)
		}
		_, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/"))
		if tt.note == "" && note != "" || tt.note != "" && note != tt.note+port+")" {
			t.Errorf("%s: Run printed %q after the URL, want %q", tt.name, note, tt.note)
		}
		if got := get(u); got != "running" {
			t.Errorf("%s: got %q", tt.name, got)
		}
		// Run has its signal handler in place before it prints the URL.
		syscall.Kill(os.Getpid(), tt.sig)
		if err := <-done; err != nil {
			t.Errorf("%s: Run returned %v after %v, want nil", tt.name, err, tt.sig)
		}
	}
	if n := strings.Count(logs.String(), `msg="GET /"`); n != 6 {
		t.Errorf("%d request lines logged, want 6:\n%s", n, logs)
	}

	for _, tt := range []struct {
		args []string
		port string
	}{
		{[]string{"99999"}, ""},
		{[]string{"bad host"}, ""},
		{[]string{"bogus:0"}, ""},
		{nil, "http"},
		{nil, "70000"},
	} {
		t.Setenv("PORT", tt.port)
		u, done := startRun(t, app, tt.args...)
		if err := <-done; err == nil || u != "" {
			t.Errorf("Run with %q and PORT=%q: printed %q, returned %v; want an error", tt.args, tt.port, u, err)
		}
	}
	// A unix socket, removed when Run returns.
	sock := filepath.Join(t.TempDir(), "app.sock")
	t.Setenv("PORT", "")
	line, done := startRun(t, app, sock)
	if line != "serving on unix socket "+sock {
		t.Fatalf("unix socket: printed %q, returned %v", line, <-done)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	resp, err := client.Get("http://unix/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	client.CloseIdleConnections()
	if string(b) != "running" {
		t.Errorf("unix socket: got %q", b)
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	if err := <-done; err != nil {
		t.Errorf("unix socket: Run returned %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}

	// An address already in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("PORT", "")
	if u, done := startRun(t, app, ln.Addr().String()); u != "" || <-done == nil {
		t.Errorf("Run on a busy address printed %q and did not fail", u)
	}
}

func TestTemplatesFS(t *testing.T) {
	fsys := fstest.MapFS{
		"tmpl/hello.html": {Data: []byte(`<p>Hello, {{.}}!</p>`)},
		"tmpl/notes.txt":  {Data: []byte(`not a template`)},
	}
	render := web.NewTemplatesFS(fsys, "tmpl")
	got, err := render.Render("hello", "<World>")
	if err != nil || got != "<p>Hello, &lt;World&gt;!</p>" {
		t.Fatalf("Render = %q, %v", got, err)
	}
	if _, err := render.Render("notes.txt", nil); err == nil {
		t.Error("a .txt file was parsed as a template")
	}
}
