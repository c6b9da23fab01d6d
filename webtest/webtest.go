// Package webtest is a test client for any http.Handler that keeps cookies
// the way a browser does, or curl with a cookie jar (curl -c jar -b jar):
// it stores the cookies the handler sets, sends them back, follows
// redirects (or not), and lets a test read the jar, forge a cookie or drop
// one to see how the application takes tampering.
//
//	c := webtest.New(t, app)
//	if r := c.Get("/count"); r.Body != "1" {
//		t.Fatalf("first visit: %v", r)
//	}
//	c.SetCookie(&http.Cookie{Name: "sid", Value: "forged"})
//	if r := c.Get("/count"); r.Status != http.StatusBadRequest {
//		t.Fatalf("a forged cookie: %v", r)
//	}
//
// Requests are served in process, without a network or a listener: the
// handler sees a server-side request as net/http would build it, with the
// client address in RemoteAddr, and its response is recorded whole. The
// site is http://example.com, or https://example.com with Client.TLS,
// which a session cookie with Secure: session.Yes needs to come back.
//
// A test that builds a session.Manager should give its Config
// SecretKeys (any string of 32 bytes or more). Without a key, and
// without SECRET_KEY in the environment, session.New generates one and,
// for a store in memory, writes it to session.key in the working
// directory: under go test, the package's folder, where the file then
// lies among the sources, waiting to be committed.
package webtest

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
)

// TB is what a Client reports a request to when it cannot be made at all
// (a malformed path, a redirect loop): a *testing.T or *testing.B, or a
// *log.Logger outside tests. Responses of any status are not failures;
// the test judges them. When the value also has a Helper method, as
// testing.TB does, the client calls it, so that a failure points at the
// test's line.
type TB interface {
	Fatalf(format string, args ...any)
}

// BaseURL is where a Client's handler seems to be served. Paths given to
// Get, PostForm and Do are resolved against it, and the jar files the
// cookies under its host. With Client.TLS, the scheme is https.
const BaseURL = "http://example.com"

// RemoteAddr is the client address the handler sees in
// Request.RemoteAddr unless Client.RemoteAddr says otherwise: the
// documentation address httptest uses.
const RemoteAddr = "192.0.2.1:1234"

// Client is one browser: a cookie jar and the handler it talks to. Its
// methods are safe for concurrent use, so a test can send parallel
// requests of one visitor; set its fields before the first request.
type Client struct {
	// Header is added to every request that does not set the same header
	// itself: Accept: text/html, say, to be served as a browser is.
	Header http.Header
	// RemoteAddr is the client address the handler sees; "" means
	// RemoteAddr (192.0.2.1:1234).
	RemoteAddr string
	// TLS makes the client talk to https://example.com, as to a site
	// with a certificate: the handler sees Request.TLS set, and the jar
	// sends back cookies marked Secure, which it keeps from a plain
	// http client as a browser does. A session.Manager with Secure: Yes
	// needs it, or each request starts a new session without a word.
	TLS bool

	t      TB
	h      http.Handler
	base   *url.URL
	jar    *cookiejar.Jar
	follow bool
}

// New returns a client of h with an empty cookie jar that follows
// redirects, as a browser does (curl -L); NoFollow returns its twin that
// does not.
func New(t TB, h http.Handler) *Client {
	if h, ok := t.(helperT); ok {
		h.Helper()
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("webtest: cookie jar: %v", err)
	}
	base, err := url.Parse(BaseURL)
	if err != nil {
		t.Fatalf("webtest: %v", err)
	}
	return &Client{Header: http.Header{}, t: t, h: h, base: base, jar: jar, follow: true}
}

// NoFollow returns a client that shares c's jar but hands back redirects
// as they come, as curl does without -L: the test sees the 303 and its
// Location, and the cookies it set go into the common jar.
func (c *Client) NoFollow() *Client {
	twin := *c
	twin.Header = c.Header.Clone()
	twin.follow = false
	return &twin
}

// Get sends a GET for path ("/count", "/search?q=x") with the jar's
// cookies.
func (c *Client) Get(path string) *Response {
	if h, ok := c.t.(helperT); ok {
		h.Helper()
	}
	req, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		c.t.Fatalf("webtest: GET %s: %v", path, err)
		return nil
	}
	return c.Do(req)
}

// PostForm posts form to path, urlencoded, as an HTML form's submit
// button does. A nil form posts an empty body.
func (c *Client) PostForm(path string, form url.Values) *Response {
	if h, ok := c.t.(helperT); ok {
		h.Helper()
	}
	req, err := http.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatalf("webtest: POST %s: %v", path, err)
		return nil
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Do sends req with the jar's cookies and the client's Header, and reads
// the whole response. A relative URL ("/count") is resolved against
// BaseURL; a request made with httptest.NewRequest works too. req itself
// is not changed.
func (c *Client) Do(req *http.Request) *Response {
	if h, ok := c.t.(helperT); ok {
		h.Helper()
	}
	out := req.Clone(req.Context())
	out.RequestURI = "" // set by httptest.NewRequest; a client must not send it
	if !out.URL.IsAbs() {
		out.URL = c.baseURL().ResolveReference(out.URL)
		out.Host = ""
	}
	for k, vs := range c.Header {
		if _, ok := out.Header[k]; !ok {
			out.Header[k] = slices.Clone(vs)
		}
	}
	hc := &http.Client{Transport: &transport{h: c.h, remoteAddr: c.remoteAddr()}, Jar: c.jar}
	if !c.follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := hc.Do(out)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: %v", req.Method, req.URL, err)
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("webtest: %s %s: reading the body: %v", req.Method, req.URL, err)
		return nil
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Request: resp.Request, cookies: resp.Cookies()}
}

// baseURL is BaseURL, or its https twin with TLS.
func (c *Client) baseURL() *url.URL {
	u := *c.base
	if c.TLS {
		u.Scheme = "https"
	}
	return &u
}

func (c *Client) remoteAddr() string {
	if c.RemoteAddr != "" {
		return c.RemoteAddr
	}
	return RemoteAddr
}

// Cookies returns the cookies the jar would send to the root of the site,
// name and value only, as a browser sends them: those marked Secure only
// with TLS.
func (c *Client) Cookies() []*http.Cookie { return c.jar.Cookies(c.baseURL()) }

// Cookie returns the jar's cookie called name, or nil when it holds none.
func (c *Client) Cookie(name string) *http.Cookie {
	for _, ck := range c.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// SetCookie puts ck into the jar as if the site had set it, replacing a
// cookie of the same name and path (default "/"): the way to forge a
// value, replay an old one, or plant a session id before a login.
func (c *Client) SetCookie(ck *http.Cookie) {
	cp := *ck
	if cp.Path == "" {
		cp.Path = "/"
	}
	c.jar.SetCookies(c.baseURL(), []*http.Cookie{&cp})
}

// DeleteCookie drops the jar's cookie called name (with Path "/"), as a
// visitor who clears it by hand.
func (c *Client) DeleteCookie(name string) {
	c.jar.SetCookies(c.baseURL(), []*http.Cookie{{Name: name, Path: "/", MaxAge: -1}})
}

// transport serves a client request with the handler, in process.
type transport struct {
	h          http.Handler
	remoteAddr string
}

// RoundTrip turns the client's request into the one a server would hand
// the handler, and the recorded answer into a client response.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	sr := req.Clone(req.Context())
	sr.RequestURI = req.URL.RequestURI()
	u, err := url.ParseRequestURI(sr.RequestURI)
	if err != nil {
		return nil, fmt.Errorf("webtest: request URI %q: %w", sr.RequestURI, err)
	}
	sr.URL = u
	sr.Proto, sr.ProtoMajor, sr.ProtoMinor = "HTTP/1.1", 1, 1
	if sr.Host == "" {
		sr.Host = req.URL.Host
	}
	sr.RemoteAddr = tr.remoteAddr
	if req.URL.Scheme == "https" {
		// What httptest.NewRequest sets for an https target.
		sr.TLS = &tls.ConnectionState{Version: tls.VersionTLS12, HandshakeComplete: true, ServerName: req.URL.Hostname()}
	}
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, sr)
	resp := rec.Result()
	resp.Request = req
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody // a server sends no body to HEAD, whatever the handler wrote
	}
	return resp, nil
}

// helperT is the Helper method of testing.TB. Each method that can fail
// calls it itself: Helper marks the function that calls it.
type helperT interface{ Helper() }
