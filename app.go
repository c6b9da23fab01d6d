// Package web is a web.py-style micro framework for Go with sessions
// built in. A URL tuple maps patterns to handler types; a handler type's
// GET or POST method returns the body or an error that carries a status:
//
//	var urls = web.URLs{
//		"/count", count{},
//		"/reset", reset{},
//	}
//
//	type count struct{}
//
//	func (count) GET(c *web.Context) (any, error) {
//		s := c.Session()
//		n := s.Int("count") + 1
//		s.Set("count", n)
//		return n, nil
//	}
//
// An Application is an http.Handler, so httptest and any net/http
// middleware work with it. Sessions live in the session package and its
// stores (diskstore, dbstore, ...); install one with app.Use.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/gowebpy/web/session"
)

// Application routes requests to handler types (web.application). Build
// one with New; set its exported fields and install middleware before it
// serves its first request.
//
// Another router can serve it under a prefix, as a WSGI server serves a
// web.py application under SCRIPT_NAME, by removing the prefix from the
// path with http.StripPrefix:
//
//	mux.Handle("/app/", http.StripPrefix("/app", app))
//	r.Mount("/app", http.StripPrefix("/app", app)) // chi
//
// The application then sees its own paths (/app/hello routes as /hello,
// and /app/static/ serves its StaticDir), and takes the prefix as its
// HomePath, so that Home, redirects and default cookie paths carry it.
// The prefix is found by comparing the path with the one the client sent
// (http.Request.RequestURI). A router that passes the request on with its
// path whole, as chi's Mount does, is told the prefix in MountPath
// instead:
//
//	app.MountPath = "/app"
//	r.Mount("/app", app) // chi
type Application struct {
	// MountPath is the prefix under which a router serves the
	// application without removing it from the path (chi's Mount): a
	// path under it is routed without it, and it is the HomePath. ""
	// serves paths as they come, or as http.StripPrefix left them.
	MountPath string

	// Logger receives the cause of every 500, handler panics with their
	// stack, and, under Run, one line per request. Nil means slog.Default().
	Logger *slog.Logger

	// ClientIP returns the client address of a request, for Context.IP.
	// Nil means the peer address (session.RemoteIP); behind a reverse
	// proxy use session.ForwardedIP with the proxy's addresses.
	ClientIP func(*http.Request) string

	// MaxBodyBytes bounds the request body a handler can read through
	// Body and Input; a larger body answers 413. New sets 10 MiB.
	MaxBodyBytes int64

	// StaticDir is the folder served under /static/ by the top-level
	// application, without directory listings and with no way out of the
	// folder (symbolic links that leave it are refused). A file found is
	// sent as it is, before the processors; a /static/ path that names no
	// file, or a method other than GET and HEAD, is answered as any other
	// request the application cannot serve: through the processors and
	// NotFound, with the error page a browser gets. New sets "static";
	// "" turns static files off.
	StaticDir string

	// NotFound, when set, answers requests that match no pattern, and
	// those for a static file that is not there (web.py's app.notfound).
	// Nil answers 404 "not found".
	NotFound func(*Context) (any, error)

	routes     *routeTable
	processors []Processor
	wrappers   []func(http.Handler) http.Handler
	handler    http.Handler // the wrappers around a.core
}

// A Processor runs around every request the application routes, like a
// web.py processor: it calls next to run the rest of the chain and the
// handler, and returns their result, which it may replace. The first
// processor added is the outermost.
type Processor func(c *Context, next func() (any, error)) (any, error)

// New builds an application from a URL tuple. Every malformed or
// conflicting pattern, and every target that is not routable, is reported
// here as an error naming the pattern, never at request time.
func New(urls URLs) (*Application, error) {
	rt, err := compileRoutes(urls)
	if err != nil {
		return nil, err
	}
	a := &Application{
		MaxBodyBytes: 10 << 20,
		StaticDir:    "static",
		routes:       rt,
	}
	a.handler = http.HandlerFunc(a.core)
	return a, nil
}

// Use wraps the application in net/http middleware. The first one given
// is the outermost: app.Use(a, b) serves a(b(app)). A session manager is
// installed this way: app.Use(manager.Middleware).
func (a *Application) Use(middleware ...func(http.Handler) http.Handler) {
	var h http.Handler = http.HandlerFunc(a.core)
	a.wrappers = append(a.wrappers, middleware...)
	for i := len(a.wrappers) - 1; i >= 0; i-- {
		h = a.wrappers[i](h)
	}
	a.handler = h
}

// AddProcessor appends p to the processors (web.py's add_processor).
func (a *Application) AddProcessor(p Processor) { a.processors = append(a.processors, p) }

// LoadHook runs h before each request's handler (web.loadhook). It is a
// processor, so it runs in the order it was added among them.
func (a *Application) LoadHook(h func(*Context)) {
	a.AddProcessor(func(c *Context, next func() (any, error)) (any, error) {
		h(c)
		return next()
	})
}

// UnloadHook runs h after each request's handler, also when the handler
// fails or panics (web.unloadhook).
func (a *Application) UnloadHook(h func(*Context)) {
	a.AddProcessor(func(c *Context, next func() (any, error)) (any, error) {
		defer h(c)
		return next()
	})
}

// ServeHTTP makes the application an http.Handler.
func (a *Application) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.handler.ServeHTTP(w, r)
}

func (a *Application) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func (a *Application) clientIP(r *http.Request) string {
	if a.ClientIP != nil {
		return a.ClientIP(r)
	}
	return session.RemoteIP(r)
}

// written is the result of a route that wrote the response itself (a
// sub-application or a plain http.Handler).
type written struct{}

// errPanic stands for a handler panic, already logged with its stack.
var errPanic = errors.New("web: handler panicked")

// core is the application below its middleware: static files, then the
// processors around routing and the handler, then the response.
func (a *Application) core(w http.ResponseWriter, r *http.Request) {
	m, _ := r.Context().Value(mountKey{}).(mount)
	homePath, mounted := m.homePath, m.app == a
	switch {
	case mounted:
	case a.MountPath != "":
		homePath, r = a.mountedPath(r)
	default:
		homePath, r = strippedPrefix(r)
	}
	var staticMiss *Error
	if !mounted && a.StaticDir != "" && strings.HasPrefix(r.URL.Path, "/static/") {
		if staticMiss = a.serveStatic(w, r); staticMiss == nil {
			return
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
	}
	c := &Context{Request: r, Response: w, app: a, homePath: homePath, path: r.URL.Path, staticMiss: staticMiss}
	defer func() {
		// net/http removes the temporary files of its own request's
		// form only, and c.Request is often a copy (WithContext in a
		// middleware or a mount), so remove the ones Input made; also
		// when an aborted response panics through here.
		if c.upload != nil {
			c.upload.RemoveAll()
		}
	}()
	result, err := a.run(c)
	a.respondSafely(c, result, err)
}

// run calls the processors and the handler, turning a panic into errPanic.
func (a *Application) run(c *Context) (result any, err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.logger().Error("web: panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path,
				"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			result, err = nil, errPanic
		}
	}()
	return a.process(c, 0)
}

func (a *Application) process(c *Context, i int) (any, error) {
	if i < len(a.processors) {
		return noNilError(a.processors[i](c, func() (any, error) { return a.process(c, i+1) }))
	}
	return noNilError(a.route(c))
}

// noNilError passes a result on with a nil *Error returned as an error
// made a nil error. A helper that returns (T, *Error) makes one whenever
// it succeeds and its caller returns the pair: the interface is not nil,
// but the handler meant no error. Done where results come back, so that
// every processor sees nil as well.
func noNilError(result any, err error) (any, error) {
	if he, ok := err.(*Error); ok && he == nil {
		return result, nil
	}
	return result, err
}

// route finds the request's endpoint and calls it.
func (a *Application) route(c *Context) (any, error) {
	if c.staticMiss != nil {
		// /static/ belongs to StaticDir: what it has not is not there,
		// whatever the patterns say.
		if c.staticMiss.Status == http.StatusNotFound && a.NotFound != nil {
			return a.NotFound(c)
		}
		return nil, c.staticMiss
	}
	ep, params, rest := a.routes.match(c.path, &c.sink)
	if ep == nil {
		if a.NotFound != nil {
			return a.NotFound(c)
		}
		return nil, NotFound()
	}
	c.Params = params
	return a.serve(c, ep, rest)
}

// serve calls the endpoint ep found for the request, whose path past a
// mount's prefix is rest.
func (a *Application) serve(c *Context, ep *endpoint, rest string) (any, error) {
	switch {
	case ep.mount != nil:
		a.serveMount(c, ep, rest)
		return written{}, nil
	case ep.redirect != nil:
		return nil, redirectRule(c, ep.redirect)
	case ep.plain != nil:
		ep.plain.ServeHTTP(c.Response, c.Request)
		return written{}, nil
	case ep.fn != nil:
		if c.Request.Method == http.MethodOptions {
			c.Response.Header().Set("Allow", allMethods)
			c.status = http.StatusNoContent
			return nil, nil
		}
		return ep.fn(c) // respond drops the body of a HEAD
	}
	h := ep.handler
	m := methodIndex(c.Request.Method)
	switch {
	case m >= 0 && h.has[m]:
		return h.call(m, c)
	case c.Request.Method == http.MethodHead && h.has[0]:
		return h.call(0, c) // respond drops the body
	case c.Request.Method == http.MethodOptions:
		c.Response.Header().Set("Allow", h.allow)
		c.status = http.StatusNoContent
		return nil, nil
	}
	c.Response.Header().Set("Allow", h.allow)
	return nil, &Error{Status: http.StatusMethodNotAllowed}
}

var backref = regexp.MustCompile(`\\[1-9]`)

// redirectRule builds the redirect of a URLs redirect target: captures
// substituted for \1..\9 and, for GET and HEAD, the query string kept.
func redirectRule(c *Context, rule *Error) *Error {
	loc := backref.ReplaceAllStringFunc(rule.Location, func(ref string) string {
		return c.Arg(int(ref[1]-'0') - 1)
	})
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		loc += c.Query()
	}
	return &Error{Status: rule.Status, Location: loc, Message: rule.Message}
}
