package session

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sessionCookie reads and writes the cookie that names a session. Its
// Set-Cookie line is cut around the parts that change from one response to
// the next, each serialised once by net/http in New, so that a response
// only appends the value and the dates: half the time of
// http.Cookie.String, and one allocation (TestCookieLineIsNetHTTPs holds
// the two equal).
type sessionCookie struct {
	name     string
	path     string
	domain   string
	httpOnly bool
	secure   Toggle // Default: follow the request's TLS
	sameSite http.SameSite

	head     string    // "name="
	where    string    // "; Path=/; Domain=example.com"
	flags    [2]string // "; HttpOnly; SameSite=Lax", without and with Secure
	deletion string    // the line that makes the browser drop the cookie
}

func newSessionCookie(cfg *Config) sessionCookie {
	c := sessionCookie{
		name:     cfg.CookieName,
		path:     cfg.Path,
		domain:   cfg.Domain,
		httpOnly: cfg.HTTPOnly.or(true),
		secure:   cfg.Secure,
		sameSite: cfg.SameSite,
	}
	tail := func(ck *http.Cookie) string { return ck.String()[len(c.name)+1:] }
	c.head = c.name + "="
	c.where = tail(&http.Cookie{Name: c.name, Path: c.path, Domain: c.domain})
	for i, secure := range []bool{false, true} {
		c.flags[i] = tail(&http.Cookie{Name: c.name, HttpOnly: c.httpOnly, Secure: secure, SameSite: c.sameSite})
	}
	// Max-Age=0 and an Expires in the past: every browser drops it.
	c.deletion = (&http.Cookie{
		Name: c.name, Path: c.path, Domain: c.domain, MaxAge: -1, Expires: time.Unix(0, 0).UTC(),
		HttpOnly: c.httpOnly, Secure: c.secure == Yes, SameSite: c.sameSite,
	}).String()
	return c
}

// find calls valid with the value of each of r's cookies of this name
// until one returns true, and reports whether one did and whether a
// non-empty value did not verify. (Browsers send several cookies of one
// name when their Path or Domain differ; one planted on a parent domain
// must not lock a visitor out.)
func (c *sessionCookie) find(r *http.Request, valid func(value string) bool) (found, bad bool) {
	for _, ck := range r.CookiesNamed(c.name) {
		if ck.Value == "" {
			continue
		}
		if valid(ck.Value) {
			return true, false
		}
		bad = true
	}
	return false, bad
}

// cookie returns the session cookie carrying value, as the browser is to
// keep it for maxAge (0: until it closes).
func (c *sessionCookie) cookie(r *http.Request, value string, maxAge time.Duration, now time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     c.name,
		Value:    value,
		Path:     c.path,
		Domain:   c.domain,
		HttpOnly: c.httpOnly,
		Secure:   c.secure.or(r.TLS != nil),
		SameSite: c.sameSite,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = now.Add(maxAge).UTC()
	}
	return ck
}

// line returns the Set-Cookie line of c.cookie(r, value, maxAge, now), as
// its String method would write it.
func (c *sessionCookie) line(r *http.Request, value string, maxAge time.Duration, now time.Time) string {
	if !plainValue(value) {
		return c.cookie(r, value, maxAge, now).String() // net/http decides
	}
	secure := 0
	if c.secure.or(r.TLS != nil) {
		secure = 1
	}
	var b strings.Builder // one allocation: the line
	b.Grow(len(c.head) + len(value) + len(c.where) + len(c.flags[secure]) + len("; Expires=Mon, 02 Jan 2006 15:04:05 GMT; Max-Age=2147483647"))
	b.WriteString(c.head)
	b.WriteString(value)
	b.WriteString(c.where)
	if maxAge > 0 {
		writeExpiry(&b, maxAge, now)
	}
	b.WriteString(c.flags[secure])
	return b.String()
}

// writeExpiry writes the Expires and Max-Age attributes as
// http.Cookie.String does for Expires = now+maxAge and MaxAge = maxAge in
// seconds.
func writeExpiry(b *strings.Builder, maxAge time.Duration, now time.Time) {
	var buf [len(http.TimeFormat)]byte
	if expires := now.Add(maxAge).UTC(); expires.Year() >= 1601 {
		b.WriteString("; Expires=")
		b.Write(expires.AppendFormat(buf[:0], http.TimeFormat))
	}
	switch secs := int(maxAge / time.Second); {
	case secs > 0:
		b.WriteString("; Max-Age=")
		b.Write(strconv.AppendInt(buf[:0], int64(secs), 10))
	case secs < 0: // overflowed int
		b.WriteString("; Max-Age=0")
	}
}

// plainValue reports whether v is made only of the bytes every value this
// package signs is made of, which net/http writes as they are.
func plainValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
