package webtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Response is an answer, read whole.
type Response struct {
	Status int         // the status code, such as 200 or 303
	Header http.Header // the response headers
	Body   string      // the whole body
	// Request is the request this is the answer to: after redirects
	// that were followed, the last one, so Request.URL is where the
	// client ended up.
	Request *http.Request

	cookies []*http.Cookie
}

// Cookie returns the cookie called name that this response set, with all
// its attributes (HttpOnly, Path, MaxAge: -1 for a deletion), or nil. Only
// the last response of a followed redirect counts; the jar has the rest.
func (r *Response) Cookie(name string) *http.Cookie {
	var found *http.Cookie
	for _, ck := range r.cookies {
		if ck.Name == name {
			found = ck
		}
	}
	return found
}

// Location returns the path and query of the Location header ("/login"),
// or "" when there is none, so that tests need not spell out the host.
func (r *Response) Location() string {
	loc := r.Header.Get("Location")
	u, err := url.Parse(loc)
	if err != nil || loc == "" {
		return loc
	}
	return u.RequestURI()
}

// String returns the exchange as curl -i would show it, for failure
// messages: the request line, the status, the headers and the body.
func (r *Response) String() string {
	var b strings.Builder
	if r.Request != nil {
		fmt.Fprintf(&b, "%s %s\n", r.Request.Method, r.Request.URL.RequestURI())
	}
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", r.Status, http.StatusText(r.Status))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(r.Body)
	return b.String()
}
