package web

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gowebpy/web/session"
)

// writeError answers he, which is not a redirect: a short HTML page with
// a link back for a browser, which asks for text/html, and the plain text
// of the message for any other client (curl, a script), which then reads
// exactly what it always has.
func writeErrorPage(c *Context, he *Error) {
	h := c.Response.Header()
	h.Add("Vary", "Accept")
	if !acceptsHTML(c.Request) {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		writeBody(c, he.Status, he.Error())
		return
	}
	p := errorPage{Status: he.Status, Text: http.StatusText(he.Status), Message: he.Message,
		Home: c.homePath + "/", Back: backLink(c.Request)}
	if p.Message == "" {
		p.Message = defaultMessage(c, he.Status)
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	writeBody(c, he.Status, p.render())
}

// defaultMessage says in a sentence what a bare status means for this
// request.
func defaultMessage(c *Context, status int) string {
	switch status {
	case http.StatusNotFound:
		return "There is no page at " + c.Request.URL.Path + "."
	case http.StatusMethodNotAllowed:
		return c.Request.URL.Path + " does not answer " + c.Request.Method + "; it answers " +
			c.Response.Header().Get("Allow") + "."
	case http.StatusInternalServerError:
		return "Something went wrong on the server. The cause is in its log; try again in a moment."
	}
	if text := http.StatusText(status); text != "" {
		return text + "."
	}
	return "The server answered " + http.StatusText(http.StatusInternalServerError) + "."
}

// acceptsHTML reports whether the request's Accept header names text/html
// (or XHTML) with a quality above zero, as every browser's navigation
// does. curl sends */*, which does not count: a client that takes
// anything gets the plain text it has always had.
func acceptsHTML(r *http.Request) bool {
	for _, field := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(field, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
				continue
			}
			if q := strings.TrimSpace(params["q"]); q != "" && strings.Trim(q, "0.") == "" {
				continue // q=0, q=0.0, q=0.000: explicitly not wanted
			}
			return true
		}
	}
	return false
}

// backLink returns the path and query of the Referer when it is a page of
// this site other than the one that failed, or "". Only a relative link
// is ever made of it, so a forged Referer cannot send the visitor away.
func backLink(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || ref.Host == "" || (ref.Scheme != "http" && ref.Scheme != "https") {
		return ""
	}
	back := ref.EscapedPath()
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || back == r.URL.EscapedPath() {
		return ""
	}
	if ref.RawQuery != "" {
		back += "?" + ref.RawQuery
	}
	return back
}

// againLink returns the path and query of a GET or HEAD request, the page
// to load again once the session layer has dropped a cookie that cannot
// work; a form's POST is not repeated by a link, so it gets none.
func againLink(r *http.Request) string {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	return r.URL.RequestURI()
}

// errorPage is what an HTML error page shows.
type errorPage struct {
	Status  int
	Text    string // the status text, "Not Found"
	Message string
	Home    string // the application's root, a path
	Back    string // the page the visitor came from, a path, or ""
	Again   string // the page that failed, when loading it again can work
}

// The page is self-contained (no stylesheet or icon to fetch, which could
// fail too), and html/template escapes every value in it.
var errorTemplate = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{.Status}} {{.Text}}</title>
<style>
body{margin:0;background:#f4f5f7;color:#1d2430;font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:34rem;margin:4rem auto;padding:1.75rem 2rem;background:#fff;border:1px solid #d9dde3;border-top:4px solid #b3261e;border-radius:8px}
h1{margin:0 0 .75rem;font-size:1.35rem}
.status{color:#b3261e;margin-right:.35rem}
a{color:#0b57d0}
nav a{margin-right:1.25rem}
</style>
<main>
<h1><span class="status">{{.Status}}</span>{{.Text}}</h1>
<p>{{.Message}}</p>
<nav>{{with .Again}}<a class="again" href="{{.}}">Load this page again</a>{{end}}{{with .Back}}<a class="back" href="{{.}}">Back to the page you came from</a>{{end}}<a class="home" href="{{.Home}}">Go to the home page</a></nav>
</main>
`))

func (p errorPage) render() string {
	var b strings.Builder
	if err := errorTemplate.Execute(&b, p); err != nil {
		// Only strings and ints go in; a failure is a bug in the
		// template, and the plain text still says what happened.
		return p.Text
	}
	return b.String()
}

// sessionMessage says for a person what went wrong with their session.
func sessionMessage(a session.Answer, err error) string {
	switch {
	case session.Unavailable(err):
		return "The server cannot reach the place where it keeps sessions right now. The cause is in its log; try again in a moment."
	case errors.Is(err, session.ErrLockTimeout):
		return "Another request of your session took too long, so this one gave up waiting. Try again in a moment."
	case errors.Is(err, session.ErrFenced):
		return "Your session was taken over by another server while this request ran, so its changes were not saved. Try again."
	case errors.Is(err, session.ErrBadCookie):
		return "Your browser sent a session cookie that this site did not sign: it was changed, cut short, " +
			"or signed with a key the server no longer has. The server has told your browser to delete it, " +
			"so loading the page again starts a fresh session."
	case errors.Is(err, session.ErrExpired):
		return strings.TrimRight(a.Body, ".") + ". Your browser has been told to drop the old cookie; loading the page again starts afresh."
	}
	return "Your session could not be loaded or saved. The cause is in the server's log; try again in a moment."
}

// SessionErrorPage returns a session.Config.ErrorHandler that answers a
// failed session as the framework answers its own errors: a short HTML
// page with a link back for a browser, and for other clients the plain
// text of the session package's own answer ("Bad Cookie"). Give it the
// configuration it goes into, after ConfigFromEnv, for the expired status
// and message:
//
//	cfg, err := session.ConfigFromEnv(session.Config{})
//	...
//	cfg.ErrorHandler = web.SessionErrorPage(cfg)
//	sessions, err := session.New(store, cfg)
//
// The session package calls it without knowing of this one. The statuses
// are the session package's: 400 for a bad cookie (which the session
// layer has already cleared), ExpiredStatus for an expired session, 503
// with Retry-After for a session busy in another request or a store that
// is down or slow, and 500 for a value the store cannot take; the session
// layer logs the cause.
func SessionErrorPage(cfg session.Config) func(http.ResponseWriter, *http.Request, error) {
	home := cfg.Path
	if home == "" {
		home = "/"
	}
	return func(w http.ResponseWriter, r *http.Request, err error) {
		h := w.Header()
		a := session.AnswerFor(cfg, err)
		if a.RetryAfter != "" {
			h.Set("Retry-After", a.RetryAfter)
		}
		p := errorPage{Status: a.Status, Home: home, Message: sessionMessage(a, err)}
		if errors.Is(err, session.ErrBadCookie) || errors.Is(err, session.ErrExpired) {
			p.Again = againLink(r) // the cookie is dropped already: a reload starts afresh
		}
		p.Text = http.StatusText(p.Status)
		if errors.Is(err, session.ErrBadCookie) {
			p.Text = "Bad Cookie"
		}
		p.Back = backLink(r)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Add("Vary", "Accept")
		body := a.Body
		if acceptsHTML(r) {
			h.Set("Content-Type", "text/html; charset=utf-8")
			body = p.render()
		} else {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.WriteHeader(p.Status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
	}
}
