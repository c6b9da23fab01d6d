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
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"reflect"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

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
	// folder (symbolic links that leave it are refused). New sets
	// "static"; "" turns static files off.
	StaticDir string

	// NotFound, when set, answers requests that match no pattern
	// (web.py's app.notfound). Nil answers 404 "not found".
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

// mountKey is the context key under which a parent application tells a
// sub-application where it mounted it.
type mountKey struct{}

// mount is what a parent application passes to the sub-application it
// mounts. It names the child, since the context reaches whatever the
// child serves too, another Application among them.
type mount struct {
	app      *Application
	homePath string
}

func contextWithMount(r *http.Request, child *Application, homePath string) context.Context {
	return context.WithValue(r.Context(), mountKey{}, mount{child, homePath})
}

// strippedPrefix returns the prefix that a router in front of the
// application removed from the request path, as http.StripPrefix does,
// and the request with a path that begins with a slash. The prefix is
// what the client sent (net/http keeps it in RequestURI) before the path
// the application got; it is the home path, as web.py's SCRIPT_NAME, so
// that Home, redirects and default cookie paths carry it. Only a clean
// prefix counts ("/app", not "/" nor "/a/.."), so that a middleware that
// merely cleans the path moves no home.
func strippedPrefix(r *http.Request) (string, *http.Request) {
	got := r.URL.Path
	sentPath, _, _ := strings.Cut(r.RequestURI, "?")
	if sentPath == got || r.RequestURI == "" || r.RequestURI == "*" {
		return "", r // what nearly every request is, without parsing
	}
	sent, err := url.ParseRequestURI(r.RequestURI)
	if err != nil || sent.Path == got || !strings.HasSuffix(sent.Path, got) {
		return "", r
	}
	home := sent.Path[:len(sent.Path)-len(got)]
	if strings.HasPrefix(got, "/") || got == "" && !strings.HasSuffix(home, "/") {
		if !cleanPrefix(home) {
			return "", r
		}
		return home, r
	}
	// StripPrefix("/app/") leaves "x" of "/app/x", and "" of "/app/":
	// the slash is the application's.
	home, ok := strings.CutSuffix(home, "/")
	if !ok || !cleanPrefix(home) {
		return "", r
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + u.Path
	if u.RawPath != "" {
		u.RawPath = "/" + u.RawPath
	}
	r2.URL = &u
	return home, r2
}

// mountedPath returns MountPath and the request with its path under it,
// for a request that a router passed on with the prefix in the path; a
// request outside the prefix is served as it comes.
func (a *Application) mountedPath(r *http.Request) (string, *http.Request) {
	home := strings.TrimSuffix(a.MountPath, "/")
	rest, ok := strings.CutPrefix(r.URL.Path, home)
	if !ok || rest != "" && rest[0] != '/' {
		return strippedPrefix(r)
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/"+strings.TrimPrefix(rest, "/"), ""
	if raw, ok := strings.CutPrefix(r.URL.RawPath, home); ok {
		u.RawPath = "/" + strings.TrimPrefix(raw, "/")
	}
	r2.URL = &u
	return home, r2
}

// cleanPrefix reports whether home can be a home path: "/app", not "",
// "/" nor "/a/..".
func cleanPrefix(home string) bool {
	return home != "/" && strings.HasPrefix(home, "/") && home == path.Clean(home)
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
	if !mounted && a.StaticDir != "" && strings.HasPrefix(r.URL.Path, "/static/") {
		a.serveStatic(w, r)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, a.MaxBodyBytes)
	}
	c := &Context{Request: r, Response: w, app: a, homePath: homePath, path: r.URL.Path}
	result, err := a.run(c)
	a.respond(c, result, err)
	if c.upload != nil {
		// net/http removes the temporary files of its own request's
		// form only, and c.Request is often a copy (WithContext in a
		// middleware or a mount), so remove the ones Input made.
		c.upload.RemoveAll()
	}
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
		return a.processors[i](c, func() (any, error) { return a.process(c, i+1) })
	}
	return a.route(c)
}

// route finds the request's endpoint and calls it.
func (a *Application) route(c *Context) (any, error) {
	ep, params, rest := a.routes.match(c.path, &c.sink)
	if ep == nil {
		if a.NotFound != nil {
			return a.NotFound(c)
		}
		return nil, NotFound()
	}
	c.Params = params
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

// serveMount hands the request to a sub-application with the prefix
// removed from its path, as web.py does for a mounted application.
func (a *Application) serveMount(c *Context, ep *endpoint, rest string) {
	r := c.Request
	r2 := r.WithContext(contextWithMount(r, ep.mount, c.homePath+ep.pattern))
	u := *r.URL
	u.Path = rest
	u.RawPath = ""
	if r.URL.RawPath != "" {
		if rp, ok := strings.CutPrefix(r.URL.RawPath, ep.pattern); ok {
			u.RawPath = rp
		}
	}
	r2.URL = &u
	ep.mount.ServeHTTP(c.Response, r2)
}

// respond writes the handler's result or error.
func (a *Application) respond(c *Context, result any, err error) {
	if _, ok := result.(written); ok && err == nil {
		return
	}
	if c.fatal != nil {
		a.logger().Error("web: "+c.fatal.Error(), "method", c.Request.Method, "path", c.Request.URL.Path)
		result, err = nil, errPanic
	}
	c.Response.Header().Set("X-Content-Type-Options", "nosniff")
	status := c.status
	if err != nil {
		he := a.httpError(c, err)
		if !he.success() || result == nil {
			writeError(c, he)
			return
		}
		// A success status is no failure: the result is its body.
		if he.Location != "" {
			c.Response.Header().Set("Location", c.absoluteURL(he.Location))
		}
		status = he.Status
	}
	if status == 0 {
		status = http.StatusOK
	}
	a.writeResult(c, status, result)
}

// httpError returns the *Error that err answers with, logging what an
// operator must see: any error that carries no status (answered 500), a
// status no response can have, and the cause around a 5xx *Error that
// the handler wrapped with context.
func (a *Application) httpError(c *Context, err error) *Error {
	var he *Error
	switch {
	case !errors.As(err, &he):
		if err != errPanic {
			a.logger().Error("web: handler error", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		}
		return &Error{Status: http.StatusInternalServerError}
	case !validStatus(he.Status):
		a.logger().Error(fmt.Sprintf("web: handler returned an error with status %d; a response status is 200 to 999", he.Status),
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		return &Error{Status: http.StatusInternalServerError}
	case he.Status >= 500 && err != error(he):
		a.logger().Error("web: handler error", "method", c.Request.Method, "path", c.Request.URL.Path, "status", he.Status, "err", err)
	}
	return he
}

// writeError answers with an *Error: a failure as an error page, a
// redirect with its Location and no body (unless it has a Message), a
// success status with its message as plain text.
func writeError(c *Context, he *Error) {
	if he.Location == "" && !he.success() {
		writeErrorPage(c, he) // HTML for a browser, text for curl
		return
	}
	h := c.Response.Header()
	body := he.Error()
	if he.Location != "" {
		h.Set("Location", c.absoluteURL(he.Location))
		if !he.success() {
			body = he.Message
		}
	}
	if !bodiless(he.Status) {
		h.Set("Content-Type", textPlain)
	}
	writeBody(c, he.Status, body)
}

const (
	textPlain = "text/plain; charset=utf-8"
	textHTML  = "text/html; charset=utf-8"
	appJSON   = "application/json; charset=utf-8"
)

// writeResult writes a successful result with status.
func (a *Application) writeResult(c *Context, status int, result any) {
	w, h := c.Response, c.Response.Header()
	if !validStatus(status) {
		// net/http panics on such a code, outside the handler's recover.
		a.logger().Error(fmt.Sprintf("web: SetStatus(%d); a response status is 200 to 999", status),
			"method", c.Request.Method, "path", c.Request.URL.Path)
		result, status = internalError{}, http.StatusInternalServerError
	}
	setType := func(ct string) {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", ct)
		}
	}
	// Text comes first, so that a Stringer that is also a Reader or a
	// Handler (*bytes.Buffer) is sent whole, with its length.
	text, ctype, isText := textOf(result)
	if !isText {
		switch v := result.(type) {
		case http.Handler:
			v.ServeHTTP(w, c.Request) // it writes the whole response, status included
			return
		case io.Closer:
			defer v.Close()
		}
	}
	if bodiless(status) {
		// 204 and 304 have no body, so whatever the result was is dropped
		// rather than sent with a type it does not have.
		writeBody(c, status, "")
		return
	}
	if isText {
		setType(ctype)
		writeBody(c, status, text)
		return
	}
	switch v := result.(type) {
	case nil:
		writeBody(c, status, "")
	case io.Reader:
		a.stream(c, status, v)
	case JSONResult:
		body, err := json.Marshal(v.Value)
		if err != nil {
			a.logger().Error("web: encoding the JSON result failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
			h.Set("Content-Type", textPlain)
			writeBody(c, http.StatusInternalServerError, "internal server error")
			return
		}
		setType(appJSON)
		writeBody(c, status, string(body))
	case internalError:
		writeError(c, &Error{Status: http.StatusInternalServerError})
	default:
		// Named string, number and bool types (type Celsius float64)
		// are text too, as web.py's str(result) would make them.
		if text, ok := formatKind(result); ok {
			setType(textPlain)
			writeBody(c, status, text)
			return
		}
		a.logger().Error(fmt.Sprintf("web: handler returned a %T; return a string, []byte, number, fmt.Stringer, io.Reader, web.HTML, web.JSON(v) or http.Handler", result),
			"method", c.Request.Method, "path", c.Request.URL.Path)
		writeError(c, &Error{Status: http.StatusInternalServerError})
	}
}

// stream copies a reader result to the response.
func (a *Application) stream(c *Context, status int, r io.Reader) {
	w, h := c.Response, c.Response.Header()
	if h.Get("Content-Type") == "" {
		// Sniff as for []byte, here rather than in net/http, so that
		// the type does not depend on which ResponseWriter (server,
		// recorder, middleware) is underneath.
		br := bufio.NewReaderSize(r, sniffLen)
		head, _ := br.Peek(sniffLen)
		h.Set("Content-Type", http.DetectContentType(head))
		r = br
	}
	w.WriteHeader(status)
	if c.Request.Method != http.MethodHead {
		if _, err := io.Copy(w, r); err != nil {
			a.logger().Warn("web: streaming the response body failed", "path", c.Request.URL.Path, "err", err)
		}
	}
}

// textOf returns the body of a result that is text, and its default
// Content-Type. Named kinds (formatKind) are left for after the readers
// and handlers, which they may also be.
func textOf(result any) (body, ctype string, ok bool) {
	switch v := result.(type) {
	case string:
		return v, textPlain, true
	case HTML:
		return string(v), textHTML, true
	case []byte:
		return string(v), http.DetectContentType(v), true
	case fmt.Stringer:
		return v.String(), textPlain, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool:
		return formatNumber(v), textPlain, true
	}
	return "", "", false
}

// bodiless reports whether a response with status never has a body.
func bodiless(status int) bool {
	return status == http.StatusNoContent || status == http.StatusNotModified
}

// internalError is the result that answers a generic 500, its cause
// already logged.
type internalError struct{}

// validStatus reports whether code can be a final response status;
// net/http panics below 100 and treats 1xx as informational.
func validStatus(code int) bool { return code >= 200 && code <= 999 }

// formatKind formats a value whose underlying type is a string, number or
// bool.
func formatKind(v any) (string, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, rv.Type().Bits()), true
	}
	return "", false
}

// sniffLen is how much of a body http.DetectContentType looks at.
const sniffLen = 512

// writeBody writes a body of known length; HEAD gets the headers only.
func writeBody(c *Context, status int, body string) {
	w := c.Response
	if bodiless(status) {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if c.Request.Method != http.MethodHead && body != "" {
		io.WriteString(w, body)
	}
}

func formatNumber(v any) string {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n)
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(n), 'g', -1, 32)
	}
	return fmt.Sprint(v)
}

// absoluteURL resolves a redirect target as web.py does: a relative
// target against the request path, then prefixed with Home. Only a target
// with a scheme leaves the site; a scheme-relative "//host/x" gets Home in
// front like any other path, as in web.py, so that a redirect built from
// user input cannot send the client to another host.
func (c *Context) absoluteURL(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		// Unparsable ("/sale/100%"): web.py still prefixes Home.
		if strings.HasPrefix(loc, "/") {
			return c.Home() + loc
		}
		return loc
	}
	if u.IsAbs() {
		return loc
	}
	if !strings.HasPrefix(loc, "/") {
		loc = (&url.URL{Path: c.path}).ResolveReference(u).String()
	}
	return c.Home() + loc
}

// expiredTime is the Expires date sent with deleted cookies.
var expiredTime = time.Unix(0, 0)

// serveStatic serves /static/NAME from StaticDir through an os.Root, so no
// path or symbolic link can leave the folder.
func (a *Application) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	root, err := os.OpenRoot(a.StaticDir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if name == "" || strings.HasSuffix(name, "/") || strings.Contains(name, "\x00") {
		http.NotFound(w, r)
		return
	}
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
}
