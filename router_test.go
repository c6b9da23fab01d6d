package web_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gowebpy/web"
)

// say answers every method it has with its own text and the request's
// captures, so a test can tell which pattern matched and what it captured.
type say string

func (s say) GET(c *web.Context) (any, error) {
	var b strings.Builder
	b.WriteString(string(s))
	for _, p := range c.Params {
		fmt.Fprintf(&b, " %s=%s", p.Key, p.Value)
	}
	return b.String(), nil
}

func (s say) POST(c *web.Context) (any, error) { return s.GET(c) }

// newApp builds an application or fails the test.
func newApp(t testing.TB, urls web.URLs) *web.Application {
	t.Helper()
	app, err := web.New(urls)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	return app
}

// serve sends one request through h and returns the recorded response.
// Extra arguments are header name/value pairs.
func serve(h http.Handler, method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestURLTupleFirstMatchWins(t *testing.T) {
	app := newApp(t, web.URLs{
		"/", say("root"),
		"/a", say("a"),
		"/ab", say("ab"),
		"/a/", say("a/"),
		"/user/new", say("user-new"), // an exact path ahead of a pattern that also matches it
		`/user/([^/]+)`, say("user-re"),
		"/user/:name/posts", say("user-posts"),
		"/items/:id", say("item"),
		`/items/(\d+)/(\w+)`, say("item-re"),
		"/files/*path", say("files"),
		`/x/(.*)`, say("x-re"), // earlier than the tree pattern below, so it wins
		"/x/y", say("x-y"),
		"/p/:name", say("p-tree"), // earlier than the regex below, so it wins for one segment
		`/p/(.*)`, say("p-re"),
		`/r(a)`, say("ra"),
		`/n/(?P<year>\d{4})/(\d+)`, say("named"),
		`/opt/(\d+)?`, say("opt"),
		"/star*", say("star"), // a * that does not follow a slash is regex
	})
	tests := []struct {
		path, want string
	}{
		{"/", "root"},
		{"/a", "a"},
		{"/ab", "ab"},
		{"/a/", "a/"},
		{"/user/new", "user-new"},
		{"/user/bob", "user-re 1=bob"},
		{"/user/bob/posts", "user-posts name=bob"},
		{"/items/7", "item id=7"},
		{"/items/12/abc", "item-re 1=12 2=abc"},
		{"/files/a/b.txt", "files path=/a/b.txt"},
		{"/x/y", "x-re 1=y"},
		{"/p/q", "p-tree name=q"},
		{"/p/q/r", "p-re 1=q/r"},
		{"/ra", "ra 1=a"},
		{"/n/2024/7", "named year=2024 2=7"},
		{"/opt/", "opt 1="},
		{"/opt/5", "opt 1=5"},
		{"/sta", "star"},
		{"/starrr", "star"},
		// A query string plays no part in matching.
		{"/ab?x=1", "ab"},
	}
	for _, tt := range tests {
		w := serve(app, "GET", tt.path, nil)
		if w.Code != 200 || w.Body.String() != tt.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, w.Code, w.Body, tt.want)
		}
	}
	// Regex patterns are anchored at both ends as web.py anchors them
	// (^pattern\Z): no prefix, suffix or trailing-slash matches.
	for _, path := range []string{"/rab", "/ra/", "/xra", "/items/12/abc/", "/n/24/7", "/aa", "/b", "/user/bob/x"} {
		if w := serve(app, "GET", path, nil); w.Code != 404 {
			t.Errorf("GET %s = %d %q, want 404", path, w.Code, w.Body)
		}
	}
}

func TestArgAndParam(t *testing.T) {
	var got []string
	record := handle(func(c *web.Context) (any, error) {
		got = append(got, fmt.Sprintf("%s|%s|%s|%q|%q", c.Arg(0), c.Arg(1), c.Param("year"), c.Arg(-1), c.Arg(5)))
		return "", nil
	})
	app := newApp(t, web.URLs{
		`/n/(?P<year>\d{4})/(\d+)`, record,
		"/u/:year/:n", record,
	})
	serve(app, "GET", "/n/2024/7", nil)
	serve(app, "GET", "/u/1999/3", nil)
	want := []string{`2024|7|2024|""|""`, `1999|3|1999|""|""`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("captures = %q, want %q", got, want)
	}
	ps := web.Params{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}
	if ps.ByName("b") != "2" || ps.ByName("c") != "" || fmt.Sprint(ps.Values()) != "[1 2]" {
		t.Errorf("Params helpers: ByName(b)=%q ByName(c)=%q Values=%v", ps.ByName("b"), ps.ByName("c"), ps.Values())
	}
}

func TestRedirectTargets(t *testing.T) {
	app := newApp(t, web.URLs{
		`/old/(\d+)/(\w+)`, web.Redirect(`/new/\2/\1`),
		"/legacy", web.Redirect("/"),
		"/moved/:name", web.SeeOther(`/people/\1`),
		"/rel/old", web.Found("fresh"),
		"/t", web.TempRedirect("https://elsewhere.example/t"),
	})
	tests := []struct {
		method, target string
		code           int
		location       string
	}{
		{"GET", "/old/12/abc", 301, "http://example.com/new/abc/12"},
		{"GET", "/old/12/abc?x=1&y=2", 301, "http://example.com/new/abc/12?x=1&y=2"},
		{"HEAD", "/old/12/abc?x=1", 301, "http://example.com/new/abc/12?x=1"},
		// web.py appends the query for GET only.
		{"POST", "/old/12/abc?x=1", 301, "http://example.com/new/abc/12"},
		{"GET", "/legacy", 301, "http://example.com/"},
		{"GET", "/moved/ann", 303, "http://example.com/people/ann"},
		{"GET", "/rel/old", 302, "http://example.com/rel/fresh"},
		{"GET", "/t?q", 307, "https://elsewhere.example/t?q"},
	}
	for _, tt := range tests {
		w := serve(app, tt.method, tt.target, nil)
		if w.Code != tt.code || w.Header().Get("Location") != tt.location {
			t.Errorf("%s %s = %d Location %q, want %d %q", tt.method, tt.target, w.Code, w.Header().Get("Location"), tt.code, tt.location)
		}
	}
}

// ctxInfo reports what web.ctx would hold.
var ctxInfo = handle(func(c *web.Context) (any, error) {
	parts := []string{c.Path(), c.HomePath(), c.Home(), c.Query(), c.FullPath(), c.Request.URL.Path}
	if c.Request.URL.RawPath != "" {
		parts = append(parts, c.Request.URL.EscapedPath())
	}
	return strings.Join(parts, "|"), nil
})

func TestSubApplication(t *testing.T) {
	comments := newApp(t, web.URLs{
		"/c/:id", ctxInfo,
	})
	blog := newApp(t, web.URLs{
		"/", say("blog-index"),
		`/post/(\d+)`, ctxInfo,
		"/go/abs", handle(func(*web.Context) (any, error) { return nil, web.SeeOther("/list") }),
		"/go/rel", handle(func(*web.Context) (any, error) { return nil, web.SeeOther("list") }),
		"/old", web.Redirect("/new"),
		"/comments", comments,
	})
	app := newApp(t, web.URLs{
		"/blog", blog,
		"/blogger", say("blogger"),
		"/", say("root"),
	})
	tests := []struct {
		target   string
		code     int
		body     string
		location string
	}{
		{"/blog/post/1?q=2", 200, "/post/1|/blog|http://example.com/blog|?q=2|/post/1?q=2|/post/1", ""},
		{"/blog/", 200, "blog-index", ""},
		// web.py: the mount prefix alone matches no pattern of the child.
		{"/blog", 404, "not found", ""},
		// The prefix matches whole segments only: /blogger is not under /blog.
		{"/blogger", 200, "blogger", ""},
		{"/blog/go/abs", 303, "", "http://example.com/blog/list"},
		{"/blog/go/rel", 303, "", "http://example.com/blog/go/list"},
		{"/blog/old", 301, "", "http://example.com/blog/new"},
		{"/blog/comments/c/9", 200, "/c/9|/blog/comments|http://example.com/blog/comments||/c/9|/c/9", ""},
		{"/blog/nothing", 404, "not found", ""},
		// The request's own escaping survives the mount.
		{"/blog/comments/c/a%2Cb", 200, "/c/a,b|/blog/comments|http://example.com/blog/comments||/c/a,b|/c/a,b|/c/a%2Cb", ""},
		// Patterns match the decoded path, as web.py matches PATH_INFO.
		{"/blog/comments/c/a%2Fb", 404, "not found", ""},
		{"/", 200, "root", ""},
	}
	for _, tt := range tests {
		w := serve(app, "GET", tt.target, nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Location") != tt.location {
			t.Errorf("GET %s = %d %q Location %q, want %d %q %q", tt.target, w.Code, w.Body, w.Header().Get("Location"), tt.code, tt.body, tt.location)
		}
	}
}

func TestHTTPHandlerTarget(t *testing.T) {
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.Path)
	})
	app := newApp(t, web.URLs{"/plain/*rest", plain, "/mux", http.NewServeMux()})
	w := serve(app, "DELETE", "/plain/a/b", nil)
	if w.Code != 202 || w.Body.String() != "DELETE /plain/a/b" || w.Header().Get("Content-Type") != "text/csv" {
		t.Errorf("plain handler: %d %q %q", w.Code, w.Body, w.Header().Get("Content-Type"))
	}
	if w := serve(app, "GET", "/mux", nil); w.Code != 404 {
		t.Errorf("empty ServeMux: %d, want its own 404", w.Code)
	}
}

type noMethods struct{}

type badGET struct{}

func (badGET) GET() string { return "" }

type badPOST struct{}

func (badPOST) GET(*web.Context) (any, error)      { return nil, nil }
func (*badPOST) POST(*web.Context) (string, error) { return "", nil }

type badArgs struct{}

func (badArgs) PUT(c *web.Context, extra int) (any, error) { return nil, nil }

func TestPatternErrors(t *testing.T) {
	sub := newApp(t, web.URLs{})
	tests := []struct {
		name     string
		urls     web.URLs
		pattern  string // the offending pattern
		conflict string // the earlier pattern it conflicts with
		mention  string // a further word the message must hold
	}{
		{"duplicate", web.URLs{"/a", say("1"), "/b", say("2"), "/a", say("3")}, "/a", "/a", "twice"},
		{"duplicate regex", web.URLs{`/r/(\d+)`, say("1"), `/r/(\d+)`, say("2")}, `/r/(\d+)`, `/r/(\d+)`, "twice"},
		{"static then param", web.URLs{"/user/new", say("1"), "/user/:name", say("2")}, "/user/:name", "/user/new", "httprouter"},
		{"param then static", web.URLs{"/user/:name", say("1"), "/about", say("x"), "/user/new", say("2")}, "/user/new", "/user/:name", "httprouter"},
		{"two param names", web.URLs{"/user/:id", say("1"), "/user/:name", say("2")}, "/user/:name", "/user/:id", "httprouter"},
		{"catch-all after root", web.URLs{"/", say("1"), "/*all", say("2")}, "/*all", "/", "httprouter"},
		{"catch-all not at the end", web.URLs{"/files/*path/more", say("1")}, "/files/*path/more", "", "catch-all"},
		{"unnamed wildcard", web.URLs{"/user/:", say("1")}, "/user/:", "", "wildcard"},
		{"bad regex", web.URLs{"/ok", say("1"), `/items/(\d+`, say("2")}, `/items/(\d+`, "", "regular expression"},
		{"odd length", web.URLs{"/a", say("1"), "/b"}, "/b", "", "target"},
		{"non-string pattern", web.URLs{"/a", say("1"), 42, say("2")}, "42", "", "string"},
		{"mount at the empty pattern", web.URLs{"", sub}, "", "", "sub-application"},
		{"no leading slash", web.URLs{"count", say("1")}, "count", "", "/"},
		{"nil target", web.URLs{"/a", nil}, "/a", "", "nil"},
		{"nil pointer target", web.URLs{"/a", (*say)(nil)}, "/a", "", "nil"},
		{"no methods", web.URLs{"/a", noMethods{}}, "/a", "", "noMethods"},
		{"wrong GET signature", web.URLs{"/a", badGET{}}, "/a", "", "badGET.GET"},
		{"wrong POST result", web.URLs{"/a", badPOST{}}, "/a", "", "badPOST.POST"},
		{"wrong PUT arguments", web.URLs{"/a", &badArgs{}}, "/a", "", "badArgs.PUT"},
		{"mount with slash", web.URLs{"/blog/", sub}, "/blog/", "", "sub-application"},
		{"mount with param", web.URLs{"/blog/:x", sub}, "/blog/:x", "", "sub-application"},
		{"nil mount", web.URLs{"/blog", (*web.Application)(nil)}, "/blog", "", "nil"},
		{"error that is no redirect", web.URLs{"/a", web.NotFound()}, "/a", "", "redirect"},
		{"function of another signature", web.URLs{"/a", func(*web.Context) string { return "" }}, "/a", "", "func(*web.Context) (any, error)"},
		{"function without results", web.URLs{"/a", func(http.ResponseWriter) {}}, "/a", "", "func(http.ResponseWriter)"},
		{"nil function", web.URLs{"/a", (func(*web.Context) (any, error))(nil)}, "/a", "", "nil"},
		{"nil named function", web.URLs{"/a", plainFunc(nil)}, "/a", "", "nil"},
		{"nil function with methods", web.URLs{"/a", handle(nil)}, "/a", "", "nil web_test.handle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				app *web.Application
				err error
			)
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("web.New panicked: %v", v)
					}
				}()
				app, err = web.New(tt.urls)
			}()
			if app != nil || err == nil {
				t.Fatalf("web.New = %v, %v; want an error", app, err)
			}
			var pe *web.PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %q is not a *web.PatternError", err, err)
			}
			if pe.Pattern != tt.pattern || pe.Conflict != tt.conflict {
				t.Errorf("PatternError{Pattern: %q, Conflict: %q}, want %q, %q", pe.Pattern, pe.Conflict, tt.pattern, tt.conflict)
			}
			msg := err.Error()
			for _, s := range []string{fmt.Sprintf("%q", tt.pattern), tt.mention} {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not mention %q", msg, s)
				}
			}
			if tt.conflict != "" && !strings.Contains(msg, fmt.Sprintf("%q", tt.conflict)) {
				t.Errorf("message %q does not name the earlier pattern %q", msg, tt.conflict)
			}
		})
	}
}

func TestPatternsThatAreFine(t *testing.T) {
	// A conflict httprouter would refuse is fine when a regex stands
	// between the two patterns, and a tree pattern may follow a regex that
	// matches the same paths (first match wins).
	newApp(t, web.URLs{
		"/user/new", say("1"),
		`/user/([^/]+)`, say("2"),
		"/user/:name", say("3"),
		"/a", say("4"),
		"/a/", say("5"),
		"/files/*path", say("6"),
	})
	newApp(t, web.URLs{})
}

// pointerCounter has pointer methods that change its fields; every request
// must start from the registered value.
type pointerCounter struct {
	N    int
	Name string
}

func (p *pointerCounter) GET(c *web.Context) (any, error) {
	p.N++
	p.Name += "x"
	return fmt.Sprintf("%d %s", p.N, p.Name), nil
}

func (p *pointerCounter) POST(c *web.Context) (any, error) {
	p.N += 100
	return p.GET(c)
}

// valueCounter has value methods; registered as a pointer it must not
// change either.
type valueCounter struct{ N int }

func (v valueCounter) GET(c *web.Context) (any, error) {
	v.N++
	return v.N, nil
}

func TestPerRequestCopiesConcurrently(t *testing.T) {
	// Under -race, a shared handler value would be a data race.
	app := newApp(t, web.URLs{"/value", pointerCounter{N: 10}, "/pointer", &pointerCounter{N: 5}})
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 50; i++ {
		for path, want := range map[string]string{"/value": "11 x", "/pointer": "6 x"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if w := serve(app, "GET", path, nil); w.Body.String() != want {
					errs <- fmt.Sprintf("%s = %q, want %q", path, w.Body, want)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestPerRequestCopies(t *testing.T) {
	registered := &pointerCounter{N: 5}
	registeredValue := &valueCounter{N: 1}
	app := newApp(t, web.URLs{
		"/value", pointerCounter{N: 10},
		"/pointer", registered,
		"/value-methods", registeredValue,
	})
	for i := 0; i < 3; i++ {
		for _, tt := range []struct{ method, path, want string }{
			{"GET", "/value", "11 x"},
			{"POST", "/value", "111 x"},
			{"GET", "/pointer", "6 x"},
			{"POST", "/pointer", "106 x"},
			{"GET", "/value-methods", "2"},
		} {
			if w := serve(app, tt.method, tt.path, nil); w.Body.String() != tt.want {
				t.Errorf("request %d: %s %s = %q, want %q", i, tt.method, tt.path, w.Body, tt.want)
			}
		}
	}
	if registered.N != 5 || registered.Name != "" || registeredValue.N != 1 {
		t.Errorf("registered values changed: %+v %+v", registered, registeredValue)
	}
}

// getOnly, postOnly and many have different method sets for the 405,
// HEAD and OPTIONS rules.
type getOnly struct{}

func (getOnly) GET(*web.Context) (any, error) { return "hello", nil }

type postOnly struct{}

func (postOnly) POST(*web.Context) (any, error) { return "posted", nil }

type many struct{}

func (many) GET(*web.Context) (any, error)   { return "get", nil }
func (many) PUT(*web.Context) (any, error)   { return "put", nil }
func (many) PATCH(*web.Context) (any, error) { return "patch", nil }
func (*many) OPTIONS(c *web.Context) (any, error) {
	c.Response.Header().Set("Allow", "GET, PUT, PATCH")
	return "options", nil
}

type withHead struct{}

func (withHead) GET(*web.Context) (any, error) { return "get body", nil }
func (withHead) HEAD(c *web.Context) (any, error) {
	c.Response.Header().Set("X-Head", "own")
	return "head body", nil
}

type everything struct{}

func (everything) GET(*web.Context) (any, error)     { return "GET", nil }
func (everything) HEAD(*web.Context) (any, error)    { return "HEAD", nil }
func (everything) POST(*web.Context) (any, error)    { return "POST", nil }
func (everything) PUT(*web.Context) (any, error)     { return "PUT", nil }
func (everything) PATCH(*web.Context) (any, error)   { return "PATCH", nil }
func (everything) DELETE(*web.Context) (any, error)  { return "DELETE", nil }
func (everything) OPTIONS(*web.Context) (any, error) { return "OPTIONS", nil }

func TestMethods(t *testing.T) {
	app := newApp(t, web.URLs{
		"/get", getOnly{},
		"/post", postOnly{},
		"/many", many{},
		"/head", withHead{},
		"/all", everything{},
	})
	tests := []struct {
		method, path string
		code         int
		body, allow  string
	}{
		{"GET", "/get", 200, "hello", ""},
		{"POST", "/get", 405, "method not allowed", "GET, HEAD, OPTIONS"},
		{"DELETE", "/get", 405, "method not allowed", "GET, HEAD, OPTIONS"},
		{"get", "/get", 405, "method not allowed", "GET, HEAD, OPTIONS"},
		{"PROPFIND", "/get", 405, "method not allowed", "GET, HEAD, OPTIONS"},
		{"OPTIONS", "/get", 204, "", "GET, HEAD, OPTIONS"},
		{"GET", "/post", 405, "method not allowed", "POST, OPTIONS"},
		{"HEAD", "/post", 405, "", "POST, OPTIONS"},
		{"OPTIONS", "/post", 204, "", "POST, OPTIONS"},
		// web.py forgets PATCH and OPTIONS in Allow.
		{"DELETE", "/many", 405, "method not allowed", "GET, HEAD, PUT, PATCH, OPTIONS"},
		{"POST", "/many", 405, "method not allowed", "GET, HEAD, PUT, PATCH, OPTIONS"},
		{"PATCH", "/many", 200, "patch", ""},
		{"OPTIONS", "/many", 200, "options", "GET, PUT, PATCH"},
		{"PUT", "/many", 200, "put", ""},
		{"HEAD", "/head", 200, "", ""},
		{"GET", "/head", 200, "get body", ""},
		{"GET", "/nowhere", 404, "not found", ""},
		{"POST", "/nowhere", 404, "not found", ""},
	}
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		tests = append(tests, struct {
			method, path string
			code         int
			body, allow  string
		}{m, "/all", 200, m, ""})
	}
	for _, tt := range tests {
		w := serve(app, tt.method, tt.path, nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d %q Allow %q, want %d %q Allow %q", tt.method, tt.path, w.Code, w.Body, w.Header().Get("Allow"), tt.code, tt.body, tt.allow)
		}
	}
	w := serve(app, "HEAD", "/head", nil)
	if w.Header().Get("X-Head") != "own" || w.Header().Get("Content-Length") != "9" {
		t.Errorf("HEAD /head ran GET, or lost the length: %v", w.Header())
	}
}

// plainFunc is a named function type without HTTP methods: a function
// target like an unnamed one.
type plainFunc func(*web.Context) (any, error)

// counterServer has a method whose value is a function target.
type counterServer struct{ calls []string }

func (s *counterServer) echo(c *web.Context) (any, error) {
	s.calls = append(s.calls, c.Method())
	return "method " + c.Method() + " " + c.Arg(0), nil
}

func TestFunctionTargets(t *testing.T) {
	srv := &counterServer{}
	app := newApp(t, web.URLs{
		`/echo/(\w+)`, srv.echo,
		"/literal", func(c *web.Context) (any, error) { return "literal " + c.Method(), nil },
		"/named", plainFunc(func(c *web.Context) (any, error) { return nil, web.SeeOther("/literal") }),
		// A func type with methods stays a handler type: only its methods answer.
		"/handle", handle(func(*web.Context) (any, error) { return "handle", nil }),
	})
	tests := []struct {
		method, target string
		code           int
		body, allow    string
		location       string
	}{
		{"GET", "/echo/a", 200, "method GET a", "", ""},
		{"POST", "/echo/b", 200, "method POST b", "", ""},
		{"DELETE", "/echo/c", 200, "method DELETE c", "", ""},
		{"PATCH", "/echo/d", 200, "method PATCH d", "", ""},
		{"PROPFIND", "/echo/e", 200, "method PROPFIND e", "", ""},
		// HEAD calls the function and sends its headers only.
		{"HEAD", "/echo/f", 200, "", "", ""},
		// OPTIONS is answered without calling it.
		{"OPTIONS", "/echo/g", 204, "", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", ""},
		{"PUT", "/literal", 200, "literal PUT", "", ""},
		{"GET", "/named", 303, "", "", "http://example.com/literal"},
		{"DELETE", "/handle", 405, "method not allowed", "GET, HEAD, POST, PUT, OPTIONS", ""},
	}
	for _, tt := range tests {
		w := serve(app, tt.method, tt.target, nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Allow") != tt.allow || w.Header().Get("Location") != tt.location {
			t.Errorf("%s %s = %d %q Allow %q Location %q, want %d %q Allow %q Location %q", tt.method, tt.target,
				w.Code, w.Body, w.Header().Get("Allow"), w.Header().Get("Location"), tt.code, tt.body, tt.allow, tt.location)
		}
	}
	want := "GET POST DELETE PATCH PROPFIND HEAD"
	if got := strings.Join(srv.calls, " "); got != want {
		t.Errorf("the function saw %q, want %q (OPTIONS must not call it)", got, want)
	}
	if w := serve(app, "HEAD", "/echo/x", nil); w.Header().Get("Content-Length") != "13" || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("HEAD lost the headers of GET: %v", w.Header())
	}
}

func TestHeadFallsBackToGET(t *testing.T) {
	var gets int
	app := newApp(t, web.URLs{
		"/count", handle(func(c *web.Context) (any, error) {
			gets++
			c.Response.Header().Set("X-Count", fmt.Sprint(gets))
			return "counted", nil
		}),
		"/html", handle(func(*web.Context) (any, error) { return web.HTML("<p>hi</p>"), nil }),
		"/bytes", handle(func(*web.Context) (any, error) { return []byte("raw bytes"), nil }),
		"/reader", handle(func(*web.Context) (any, error) { return strings.NewReader("streamed"), nil }),
		"/nothing", handle(func(*web.Context) (any, error) { return nil, nil }),
		"/error", handle(func(*web.Context) (any, error) { return nil, web.Gone() }),
	})
	tests := []struct {
		path, length, ctype string
		code                int
	}{
		{"/count", "7", "text/plain; charset=utf-8", 200},
		{"/html", "9", "text/html; charset=utf-8", 200},
		{"/bytes", "9", "text/plain; charset=utf-8", 200},
		{"/reader", "", "text/plain; charset=utf-8", 200},
		{"/nothing", "0", "", 200},
		{"/error", "4", "text/plain; charset=utf-8", 410},
	}
	for _, tt := range tests {
		w := serve(app, "HEAD", tt.path, nil)
		if w.Code != tt.code || w.Body.Len() != 0 || w.Header().Get("Content-Length") != tt.length || w.Header().Get("Content-Type") != tt.ctype {
			t.Errorf("HEAD %s = %d body %q Content-Length %q Content-Type %q, want %d, no body, %q, %q",
				tt.path, w.Code, w.Body, w.Header().Get("Content-Length"), w.Header().Get("Content-Type"), tt.code, tt.length, tt.ctype)
		}
	}
	// HEAD runs GET with its side effects, as in web.py.
	if gets != 1 {
		t.Errorf("GET ran %d times for one HEAD", gets)
	}
}
