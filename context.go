package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

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

// parseForm parses the request body as a form, once.
func (c *Context) parseForm() (url.Values, error) {
	if c.form != nil || c.formErr != nil {
		return c.form, c.formErr
	}
	c.form = url.Values{}
	switch c.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return c.form, nil
	}
	ct, _, _ := mime.ParseMediaType(c.Request.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		body, err := c.Body()
		if err != nil {
			c.formErr = err
			return c.form, err
		}
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			c.formErr = BadRequest("malformed form body: " + err.Error())
			return c.form, c.formErr
		}
		c.form = vs
	case "multipart/form-data":
		if c.bodyRead {
			// Body has consumed the stream; parse what it kept.
			if c.bodyErr != nil {
				c.formErr = c.bodyErr
				return c.form, c.formErr
			}
			c.Request.Body = io.NopCloser(bytes.NewReader(c.body))
		}
		err := c.Request.ParseMultipartForm(multipartMemory)
		c.upload = c.Request.MultipartForm
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				c.formErr = HTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
			case errors.Is(err, multipart.ErrMessageTooLarge):
				// Too many parts or headers, or too much of it in memory,
				// within MaxBodyBytes: still too large, not malformed.
				c.formErr = HTTPError(http.StatusRequestEntityTooLarge, "multipart body too large: "+err.Error())
			default:
				c.formErr = BadRequest("malformed multipart body: " + err.Error())
			}
			return c.form, c.formErr
		}
		c.form = c.Request.MultipartForm.Value
	}
	return c.form, nil
}

// multipartMemory is how much of a multipart body is kept in memory;
// larger file parts go to temporary files.
const multipartMemory = 8 << 20

// InputOption shapes what Input returns: defaults, required keys, and
// which part of the request is read.
type InputOption func(*inputSpec)

type inputSpec struct {
	required []string
	defaults map[string][]string
	query    bool
	body     bool
}

// Required names keys that must be present; when one is missing, Input
// returns an error that answers 400 and names the missing keys.
func Required(keys ...string) InputOption {
	return func(s *inputSpec) { s.required = append(s.required, keys...) }
}

// Default gives key a value when the request does not carry it. Several
// values make a list default, like web.input(tag=[]).
func Default(key string, values ...string) InputOption {
	return func(s *inputSpec) {
		if s.defaults == nil {
			s.defaults = make(map[string][]string)
		}
		s.defaults[key] = values
	}
}

// FromQuery restricts Input to the query string (web.input(_method="get")).
func FromQuery() InputOption { return func(s *inputSpec) { s.body = false } }

// FromBody restricts Input to the request body (web.input(_method="post")).
func FromBody() InputOption { return func(s *inputSpec) { s.query = false } }

// Input merges the query string and, for POST, PUT and PATCH, the form
// body (urlencoded or multipart), like web.input(). A key present in both
// takes the body's value: the form the user submitted wins over the URL it
// was posted to. The files of a multipart body are read with File and
// Files. Missing required keys give an error that answers 400; a body
// over MaxBodyBytes gives one that answers 413.
//
//	in, err := c.Input(web.Required("name"), web.Default("page", "1"))
//	if err != nil {
//		return nil, err
//	}
//	name, page, tags := in.Get("name"), in.Get("page"), in.List("tag")
func (c *Context) Input(opts ...InputOption) (*Storage, error) {
	spec := inputSpec{query: true, body: true}
	for _, o := range opts {
		o(&spec)
	}
	st := &Storage{defaults: spec.defaults}
	if spec.body {
		form, err := c.parseForm()
		if err != nil {
			return st, err
		}
		st.sources = append(st.sources, form)
		if c.upload != nil {
			st.files = c.upload.File
		}
	}
	if spec.query {
		st.sources = append(st.sources, c.Request.URL.Query())
	}
	if missing := st.missing(spec.required); len(missing) > 0 {
		return st, BadRequest("missing input: " + strings.Join(missing, ", "))
	}
	return st, nil
}

// Cookies returns the request's cookies by name, like web.cookies():
// Required names cookies that must be sent, and a missing one gives an
// error that answers 400 naming it; Default gives a value to a cookie the
// request does not carry. (FromQuery and FromBody mean nothing here.)
//
//	ck, err := c.Cookies(web.Required("token"), web.Default("theme", "light"))
//	if err != nil {
//		return nil, err // 400 "missing cookie: token"
//	}
//
// A name sent twice keeps both values (List) and Get gives the last, as
// web.py keeps the last. Values are what the client sent, as Cookie
// returns them: web.py URL-unquotes them, which corrupts a value that
// holds a %; decode a value you encoded when you set it. Every value is
// the client's to choose; SignedCookie reads one it cannot change.
func (c *Context) Cookies(opts ...InputOption) (*Storage, error) {
	spec := inputSpec{}
	for _, o := range opts {
		o(&spec)
	}
	sent := url.Values{}
	for _, ck := range c.Request.Cookies() {
		sent.Add(ck.Name, ck.Value)
	}
	st := &Storage{sources: []url.Values{sent}, defaults: spec.defaults}
	if missing := st.missing(spec.required); len(missing) > 0 {
		return st, BadRequest("missing cookie: " + strings.Join(missing, ", "))
	}
	return st, nil
}

// Storage is the result of Input and Cookies: request values by key, like
// web.py's Storage. For Input the body's values come ahead of the query's,
// and the body's files are kept apart (File, Files).
type Storage struct {
	sources  []url.Values // in order of precedence
	defaults map[string][]string
	files    map[string][]*multipart.FileHeader
}

// missing returns the keys of required that s does not have.
func (s *Storage) missing(required []string) []string {
	var missing []string
	for _, k := range required {
		if !s.Has(k) {
			missing = append(missing, k)
		}
	}
	return missing
}

// Get returns the last value of key (web.py keeps the last of repeated
// keys), from the body if it has the key, else from the query, else the
// default, else "". A file's key has no value: use File.
func (s *Storage) Get(key string) string {
	for _, src := range s.sources {
		if vs := src[key]; len(vs) > 0 {
			return vs[len(vs)-1]
		}
	}
	if vs := s.defaults[key]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	return ""
}

// List returns every value of key: the body's, then the query's; or the
// default when the request has none.
func (s *Storage) List(key string) []string {
	var all []string // a copy: the caller may change it
	for _, src := range s.sources {
		all = append(all, src[key]...)
	}
	if all == nil {
		return s.defaults[key]
	}
	return all
}

// Has reports whether the request or a default supplies key; an uploaded
// file counts, so Required can ask for one.
func (s *Storage) Has(key string) bool {
	for _, src := range s.sources {
		if _, ok := src[key]; ok {
			return true
		}
	}
	_, inDefaults := s.defaults[key]
	_, inFiles := s.files[key]
	return inDefaults || inFiles
}

// Keys returns every key present, sorted, files included.
func (s *Storage) Keys() []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, src := range s.sources {
		for k := range src {
			add(k)
		}
	}
	for k := range s.defaults {
		add(k)
	}
	for k := range s.files {
		add(k)
	}
	slices.Sort(keys)
	return keys
}

// File returns the file uploaded under key in a multipart body (web.py's
// web.input(myfile={})), or nil when there is none; of several under one
// key, the last, as Get gives the last value.
//
//	f := in.File("photo")
//	if f == nil {
//		return nil, web.BadRequest("no photo")
//	}
//	r, err := f.Open() // f.Filename, f.Size, f.Header
//
// The upload counts against MaxBodyBytes (a larger body answers 413), and
// the temporary files of large parts are removed once the response is
// written: copy what must outlive the request. Everything in the header is
// the client's: f.Filename is a name to show or store as data, never a
// path to write to (mime/multipart keeps only its last element, but it
// may still be "..", "/", a Windows path or markup); and the Content-Type
// in f.Header is a claim, not a check of the content.
func (s *Storage) File(key string) *multipart.FileHeader {
	fs := s.files[key]
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

// Files returns every file uploaded under key, in the order of the body
// (<input type="file" multiple>), or nil. What File says of the files
// holds for each.
func (s *Storage) Files(key string) []*multipart.FileHeader { return slices.Clone(s.files[key]) }
