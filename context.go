package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gowebpy/web/session"
)

// Context is one request as a handler sees it: web.py's web.ctx, web.input
// and web.header in one value. A Context belongs to its request; do not
// keep it after the handler returns.
type Context struct {
	// Request and Response are the underlying net/http values, for
	// anything the Context does not cover. Headers and cookies may be set
	// on Response until the handler returns; the framework writes the
	// status and body after that.
	Request  *http.Request
	Response http.ResponseWriter

	// Params are the URL captures: httprouter's :name and *name, or the
	// groups of a web.py regex pattern, in pattern order.
	Params Params

	app      *Application
	homePath string // the mount prefixes above this application
	path     string // the request path below homePath
	status   int    // set by SetStatus; 0 means 200
	body     []byte // the request body, once read
	bodyRead bool
	bodyErr  error
	form     url.Values // the parsed request body, once parsed
	formErr  error
	sink     endpointSink
	upload   *multipart.Form // parsed by Input; its temporary files are removed after the response
	fatal    error           // a misuse found during the request that must answer 500
	started  bool            // the response may have been written: no error page can follow

	staticMiss *Error // why StaticDir could not serve this /static/ path
}

// Context returns the request's context, with the values middleware
// added to it (the sessions among them). It is done when the client's
// connection closes or the request is canceled: pass it to database and
// HTTP calls, so that they stop when nobody waits for the answer.
func (c *Context) Context() context.Context { return c.Request.Context() }

// Path returns the request path within the application, without the
// prefix of a mount (web.ctx.path).
func (c *Context) Path() string { return c.path }

// Query returns the query string with its leading "?", or "" (web.ctx.query).
func (c *Context) Query() string {
	if c.Request.URL.RawQuery == "" {
		return ""
	}
	return "?" + c.Request.URL.RawQuery
}

// FullPath returns Path followed by Query (web.ctx.fullpath).
func (c *Context) FullPath() string { return c.path + c.Query() }

// Method returns the request method (web.ctx.method).
func (c *Context) Method() string { return c.Request.Method }

// IP returns the client's address as the application's ClientIP function
// sees it: the peer address unless a trusted proxy is configured
// (web.ctx.ip).
func (c *Context) IP() string { return c.app.clientIP(c.Request) }

// HomePath returns the URL path the application is mounted at: "" for
// the top-level application, "/blog" inside a sub-application mounted at
// /blog, "/app" under http.StripPrefix("/app", app) (web.ctx.homepath).
func (c *Context) HomePath() string { return c.homePath }

// HomeDomain returns the scheme and host the request was sent to, such as
// "http://127.0.0.1:8080" (web.ctx.homedomain).
func (c *Context) HomeDomain() string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// Home returns HomeDomain followed by HomePath (web.ctx.home): the
// absolute URL of the application's root.
func (c *Context) Home() string { return c.HomeDomain() + c.homePath }

// Param returns the URL capture called name: ":name" or "*name" in an
// httprouter pattern, "(?P<name>...)" in a regex.
func (c *Context) Param(name string) string { return c.Params.ByName(name) }

// Arg returns the i-th URL capture, counting from 0, or "" when there is
// none: the positional argument web.py passes to GET(self, ...).
func (c *Context) Arg(i int) string {
	if i < 0 || i >= len(c.Params) {
		return ""
	}
	return c.Params[i].Value
}

// Header returns the first value of the request header name.
func (c *Context) Header(name string) string { return c.Request.Header.Get(name) }

// SetHeader sets the response header name to value, replacing any value
// it had. A name or value that could split the header (CR, LF, NUL) or an
// invalid name is refused with an error.
func (c *Context) SetHeader(name, value string) error {
	if err := checkHeader(name, value); err != nil {
		return err
	}
	c.Response.Header().Set(name, value)
	return nil
}

// AddHeader adds value to the response header name, keeping earlier
// values (web.header without unique). It refuses what SetHeader refuses.
func (c *Context) AddHeader(name, value string) error {
	if err := checkHeader(name, value); err != nil {
		return err
	}
	c.Response.Header().Add(name, value)
	return nil
}

func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("web: empty header name")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return fmt.Errorf("web: invalid character %q in header name %q", name[i], name)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("web: header %s: value contains CR, LF or NUL", name)
	}
	return nil
}

// isTokenChar reports whether b may appear in an HTTP token (RFC 9110).
func isTokenChar(b byte) bool {
	return b < 0x7f && b > 0x20 && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(b))
}

// Cookie returns the value of the request cookie name and whether it was
// sent.
func (c *Context) Cookie(name string) (string, bool) {
	ck, err := c.Request.Cookie(name)
	if err != nil {
		return "", false
	}
	return ck.Value, true
}

// SetCookie adds a Set-Cookie header for ck, with every attribute it
// carries (Path, Domain, Expires, MaxAge, Secure, HttpOnly, SameSite,
// Partitioned). Without a Path the cookie gets HomePath()+"/", web.py's
// default, so that a cookie set by /account/login is sent to the whole
// application and not only below /account. A cookie net/http would have
// to alter to send, such as a value with a space, a comma or a semicolon
// (unless Quoted is set), is refused with an error: encode the value first
// (url.QueryEscape, base64).
func (c *Context) SetCookie(ck *http.Cookie) error {
	if ck == nil {
		return errors.New("web: nil cookie")
	}
	if err := ck.Valid(); err != nil {
		return fmt.Errorf("web: cookie %q: %w", ck.Name, err)
	}
	if !ck.Quoted && strings.ContainsAny(ck.Value, " ,") {
		return fmt.Errorf("web: cookie %q: net/http would quote a value with a space or comma; encode it or set Quoted", ck.Name)
	}
	http.SetCookie(c.Response, c.withDefaultPath(ck))
	return nil
}

// withDefaultPath gives a cookie without a Path web.py's default, the
// application's home path.
func (c *Context) withDefaultPath(ck *http.Cookie) *http.Cookie {
	if ck.Path != "" {
		return ck
	}
	cp := *ck
	cp.Path = c.homePath + "/"
	return &cp
}

// expiredTime is the Expires date sent with deleted cookies.
var expiredTime = time.Unix(0, 0)

// DeleteCookie tells the client to drop the cookie name (Max-Age=0 and an
// Expires in the past) with the Path SetCookie gives by default. A cookie
// set with another Path or a Domain is deleted by SetCookie with those
// attributes and MaxAge -1.
func (c *Context) DeleteCookie(name string) error {
	return c.SetCookie(&http.Cookie{Name: name, MaxAge: -1, Expires: expiredTime})
}

// SetSignedCookie sets a cookie the client can read but not change
// (tipfy's SecureCookieMixin), signed with the keys of the request's
// session manager; ck.Value may be any string. The Path defaults as in
// SetCookie. Read it back with SignedCookie.
func (c *Context) SetSignedCookie(ck *http.Cookie) error {
	m := session.ManagerOf(c.Request, "")
	if m == nil {
		return session.ErrNoMiddleware
	}
	if ck == nil {
		return errors.New("web: nil cookie")
	}
	return m.SetSignedCookie(c.Response, c.withDefaultPath(ck))
}

// SignedCookie returns the value of a cookie set with SetSignedCookie:
// http.ErrNoCookie when there is none, an error wrapping
// session.ErrBadCookie when it was changed or has expired.
func (c *Context) SignedCookie(name string) (string, error) {
	m := session.ManagerOf(c.Request, "")
	if m == nil {
		return "", session.ErrNoMiddleware
	}
	return m.SignedCookie(c.Request, name)
}

// SetStatus sets the status of a successful response, such as 201
// Created. Errors carry their own status.
func (c *Context) SetStatus(code int) { c.status = code }

// Body returns the raw request body (web.data()), read at most once and
// limited to the application's MaxBodyBytes: a larger body gives an error
// that answers 413 when returned from the handler.
func (c *Context) Body() ([]byte, error) {
	if !c.bodyRead {
		c.bodyRead = true
		if c.Request.Body == nil { // a hand-built request; servers always set one
			return nil, nil
		}
		c.body, c.bodyErr = io.ReadAll(c.Request.Body)
		var tooBig *http.MaxBytesError
		if errors.As(c.bodyErr, &tooBig) {
			c.bodyErr = HTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
		}
	}
	return c.body, c.bodyErr
}

// Session returns the request's session. It is loaded from its store on
// first use, so a handler that never calls Session costs no store I/O.
// The application must have a session manager installed with
// app.Use(manager.Middleware); without one, the request answers 500 and
// the log says so.
func (c *Context) Session() *session.Session { return c.SessionNamed("") }

// SessionNamed returns the session of the manager configured with the
// given Name, for applications that keep several sessions per request.
func (c *Context) SessionNamed(name string) *session.Session {
	if c.fatal == nil && session.ManagerOf(c.Request, name) == nil {
		c.fatal = session.ErrNoMiddleware // noticed without opening the session
	}
	return session.Named(c.Request.Context(), name)
}
