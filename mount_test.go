package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gowebpy/web"
)

// TestMountedUnderStripPrefix serves one application from a plain
// ServeMux, under http.StripPrefix (with and without the trailing slash)
// and at the root: under a prefix it sees its own paths, and its Home,
// redirects and cookies carry the prefix, as web.py's do under SCRIPT_NAME.
func TestMountedUnderStripPrefix(t *testing.T) {
	blog := newApp(t, web.URLs{
		`/post/(\d+)`, ctxInfo,
		"/back", returns(nil, web.SeeOther("/")),
	})
	app := newApp(t, web.URLs{
		"/hello", ctxInfo,
		"/", returns("index", nil),
		"/c/:id", ctxInfo,
		"/go/abs", returns(nil, web.SeeOther("/list")),
		"/go/rel", returns(nil, web.SeeOther("list")),
		"/old/(.*)", web.Redirect(`/new/\1`),
		"/made", returns("made", created("items/1")),
		"/cookie", handle(func(c *web.Context) (any, error) {
			return nil, c.SetCookie(&http.Cookie{Name: "k", Value: "v"})
		}),
		"/blog", blog,
	})
	app.StaticDir = staticTree(t)
	mux := http.NewServeMux()
	mux.Handle("/app/", http.StripPrefix("/app", app))
	mux.Handle("/slash/", http.StripPrefix("/slash/", app))
	mux.Handle("/deep/er/", http.StripPrefix("/deep/er", app))
	mux.Handle("/", app)

	tests := []struct {
		target   string
		code     int
		body     string
		location string
		cookie   string
	}{
		// Path | HomePath | Home | Query | FullPath | URL.Path [| escaped path]
		{"/app/hello?q=1", 200, "/hello|/app|http://example.com/app|?q=1|/hello?q=1|/hello", "", ""},
		{"/slash/hello", 200, "/hello|/slash|http://example.com/slash||/hello|/hello", "", ""},
		{"/deep/er/hello", 200, "/hello|/deep/er|http://example.com/deep/er||/hello|/hello", "", ""},
		{"/hello", 200, "/hello||http://example.com||/hello|/hello", "", ""},
		{"/app/", 200, "index", "", ""},
		{"/slash/", 200, "index", "", ""},
		// The request's own escaping survives the prefix.
		{"/app/c/a%2Cb", 200, "/c/a,b|/app|http://example.com/app||/c/a,b|/c/a,b|/c/a%2Cb", "", ""},
		{"/slash/c/a%2Cb", 200, "/c/a,b|/slash|http://example.com/slash||/c/a,b|/c/a,b|/c/a%2Cb", "", ""},
		// Redirects are built with the prefix.
		{"/app/go/abs", 303, "", "http://example.com/app/list", ""},
		{"/app/go/rel", 303, "", "http://example.com/app/go/list", ""},
		{"/slash/go/abs", 303, "", "http://example.com/slash/list", ""},
		{"/go/abs", 303, "", "http://example.com/list", ""},
		{"/app/old/x?y=1", 301, "", "http://example.com/app/new/x?y=1", ""},
		{"/app/made", 201, "made", "http://example.com/app/items/1", ""},
		// web.py's default cookie path is the home path plus "/".
		{"/app/cookie", 200, "", "", "k=v; Path=/app/"},
		{"/cookie", 200, "", "", "k=v; Path=/"},
		// A sub-application inside the prefixed one stacks its prefix.
		{"/app/blog/post/7", 200, "/post/7|/app/blog|http://example.com/app/blog||/post/7|/post/7", "", ""},
		{"/app/blog/back", 303, "", "http://example.com/app/blog/", ""},
		// The application's static files are under its prefix.
		{"/app/static/hello.txt", 200, "hello static", "", ""},
		{"/slash/static/hello.txt", 200, "hello static", "", ""},
		{"/app/nothing", 404, "not found", "", ""},
	}
	for _, tt := range tests {
		w := serve(mux, "GET", tt.target, nil)
		if w.Code != tt.code || w.Body.String() != tt.body || w.Header().Get("Location") != tt.location || w.Header().Get("Set-Cookie") != tt.cookie {
			t.Errorf("GET %s = %d %q Location %q Set-Cookie %q, want %d %q %q %q", tt.target,
				w.Code, w.Body, w.Header().Get("Location"), w.Header().Get("Set-Cookie"), tt.code, tt.body, tt.location, tt.cookie)
		}
	}
}

// TestMountedOverTheWire checks the prefix with a real server, whose
// RequestURI is what the client sent.
func TestMountedOverTheWire(t *testing.T) {
	app := newApp(t, web.URLs{"/go", returns(nil, web.SeeOther("/list")), "/hello", ctxInfo})
	mux := http.NewServeMux()
	mux.Handle("/app/", http.StripPrefix("/app", app))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(srv.URL + "/app/go")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := srv.URL + "/app/list"; resp.StatusCode != 303 || resp.Header.Get("Location") != want {
		t.Errorf("got %d Location %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestPathRewritesAreNoPrefix: a middleware that changes the path in
// other ways than removing a prefix moves no home.
func TestPathRewritesAreNoPrefix(t *testing.T) {
	app := newApp(t, web.URLs{})
	rewrite := func(to string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2 := r.WithContext(context.Background())
			u := *r.URL
			u.Path, u.RawPath = to, ""
			r2.URL = &u
			app.ServeHTTP(w, r2)
		})
	}
	tests := []struct {
		sent, to, home string
	}{
		{"/x/", "/x", ""},     // a trailing slash dropped
		{"/a//x", "/a/x", ""}, // the path cleaned
		{"/a/../x", "/x", ""}, // likewise
		{"//x", "/x", ""},     // a prefix of "/" is none
		{"/y", "/x", ""},      // another path altogether
		{"/p/x", "/x", "/p"},  // a prefix removed, by whatever means
		{"/p/x", "x", "/p"},   // StripPrefix("/p/"): the slash is the path's
		{"/px", "x", ""},      // StripPrefix("/p"): no path at all
		{"/p/x", "", "/p/x"},  // StripPrefix("/p/x"): the prefix alone
		{"/p/", "/", "/p"},
	}
	for _, tt := range tests {
		var home string
		probe := handle(func(c *web.Context) (any, error) { home = c.HomePath(); return nil, nil })
		app.NotFound = probe
		w := serve(rewrite(tt.to), "GET", tt.sent, nil)
		if home != tt.home {
			t.Errorf("sent %s, served as %q: %d %q, home %q, want %q", tt.sent, tt.to, w.Code, w.Body, home, tt.home)
		}
	}
	// A hand-built request without a RequestURI has no prefix either.
	app.NotFound = ctxInfo.GET
	r := httptest.NewRequest("GET", "/p/x", nil)
	r.RequestURI = ""
	w := httptest.NewRecorder()
	http.StripPrefix("/p", app).ServeHTTP(w, r)
	if !strings.HasPrefix(w.Body.String(), "/x||") {
		t.Errorf("no RequestURI: %q", w.Body)
	}
}

// TestNestedApplicationUnderPlainHandler mounts an application under a
// StripPrefix inside a sub-application: the inner one's home is the whole
// prefix, not its parent's mount.
func TestNestedApplicationUnderPlainHandler(t *testing.T) {
	inner := newApp(t, web.URLs{"/y", ctxInfo})
	blog := newApp(t, web.URLs{"/x/*rest", http.StripPrefix("/x", inner)})
	app := newApp(t, web.URLs{"/blog", blog})
	w := serve(app, "GET", "/blog/x/y", nil)
	if want := "/y|/blog/x|http://example.com/blog/x||/y|/y"; w.Code != 200 || w.Body.String() != want {
		t.Errorf("got %d %q, want %q", w.Code, w.Body, want)
	}
}

// TestMountPath serves an application behind a router that passes the
// request on with its path whole, as chi's Mount does: MountPath tells
// the application its prefix.
func TestMountPath(t *testing.T) {
	app := newApp(t, web.URLs{
		"/hello", ctxInfo,
		"/", returns("index", nil),
		"/c/:id", ctxInfo,
		"/go/abs", returns(nil, web.SeeOther("/list")),
	})
	app.MountPath = "/app"
	// What chi.Mount("/app", app) does to a request: nothing.
	mux := http.NewServeMux()
	mux.Handle("/app/", app)
	mux.Handle("/app", app)
	for _, tt := range []struct{ target, body, location string }{
		{"/app/hello?q=1", "/hello|/app|http://example.com/app|?q=1|/hello?q=1|/hello", ""},
		{"/app", "index", ""},
		{"/app/", "index", ""},
		{"/app/c/a%2Cb", "/c/a,b|/app|http://example.com/app||/c/a,b|/c/a,b|/c/a%2Cb", ""},
		{"/app/go/abs", "", "http://example.com/app/list"},
	} {
		w := serve(mux, "GET", tt.target, nil)
		if w.Body.String() != tt.body || w.Header().Get("Location") != tt.location {
			t.Errorf("GET %s = %d %q Location %q; want %q %q", tt.target, w.Code, w.Body, w.Header().Get("Location"), tt.body, tt.location)
		}
	}
}

// The pattern "" matches the empty path a sub-application gets for its
// bare prefix, as in web.py, whose docs send it on to the index:
// urls = ("", "reblog", "/(.*)", "blog").
func TestEmptyPatternInSubApp(t *testing.T) {
	blog := newApp(t, web.URLs{
		"", web.SeeOther("/"),
		"/", say("blog-index"),
		"/:post", ctxInfo,
	})
	wiki := newApp(t, web.URLs{"", say("wiki-root"), "/", say("wiki-index")})
	app := newApp(t, web.URLs{
		"/blog", blog,
		"/wiki", wiki,
		"/", say("root"),
	})
	tests := []struct{ target, want string }{
		{"/blog", "303 http://example.com/blog/"},
		{"/blog?page=2", "303 http://example.com/blog/?page=2"},
		{"/blog/", "200 blog-index"},
		{"/blog/x", "200 /x|/blog|http://example.com/blog||/x|/x"},
		{"/wiki", "200 wiki-root"},
		{"/wiki/", "200 wiki-index"},
		{"/", "200 root"},
	}
	for _, tt := range tests {
		w := serve(app, "GET", tt.target, nil)
		got := strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Header().Get("Location"), " ", w.Body))
		got = strings.Join(strings.Fields(got), " ")
		if got != tt.want {
			t.Errorf("GET %s = %q, want %q", tt.target, got, tt.want)
		}
	}
	// Under http.StripPrefix("/app", ...) the bare prefix is the empty
	// path too, as under a WSGI server's SCRIPT_NAME.
	mux := http.NewServeMux()
	mux.Handle("/app/", http.StripPrefix("/app", wiki))
	mux.Handle("/app", http.StripPrefix("/app", wiki))
	if w := serve(mux, "GET", "/app", nil); w.Code != 200 || w.Body.String() != "wiki-root" {
		t.Errorf("GET /app under StripPrefix = %d %q, want 200 wiki-root", w.Code, w.Body)
	}
}
