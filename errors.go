package web

import (
	"net/http"
	"strings"
)

// Error is an error that carries an HTTP status: return one from a
// handler and it becomes the response, like raising web.py's HTTPError.
//
//	return nil, web.SeeOther("/login")
//	return nil, web.NotFound()
//	return nil, web.BadRequest("missing name")
type Error struct {
	Status   int    // the HTTP status code
	Message  string // the response body; empty means the lower-case status text
	Location string // for redirects: the target, resolved as web.py resolves it
}

// Error returns the message, or the lower-case status text, as web.py
// writes it ("not found", "bad request").
func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return strings.ToLower(http.StatusText(e.Status))
}

// HTTPError returns an error that answers with status and body, for any
// status the named constructors do not cover.
func HTTPError(status int, body string) *Error {
	return &Error{Status: status, Message: body}
}

// Redirect answers 301 Moved Permanently with a Location header. A
// relative url is resolved against the request path and prefixed with
// the application's home, as web.redirect does. In URLs it is also the
// target of a redirect rule: "/old", web.Redirect("/new").
func Redirect(url string) *Error { return &Error{Status: http.StatusMovedPermanently, Location: url} }

// Found answers 302 Found with a Location header (web.found).
func Found(url string) *Error { return &Error{Status: http.StatusFound, Location: url} }

// SeeOther answers 303 See Other with a Location header (web.seeother):
// the redirect to send after a successful POST.
func SeeOther(url string) *Error { return &Error{Status: http.StatusSeeOther, Location: url} }

// TempRedirect answers 307 Temporary Redirect with a Location header
// (web.tempredirect); the client repeats the same method and body.
func TempRedirect(url string) *Error {
	return &Error{Status: http.StatusTemporaryRedirect, Location: url}
}

// BadRequest answers 400 Bad Request with msg as the body, or "bad
// request" when msg is empty.
func BadRequest(msg string) *Error { return &Error{Status: http.StatusBadRequest, Message: msg} }

// Unauthorized answers 401 Unauthorized.
func Unauthorized() *Error { return &Error{Status: http.StatusUnauthorized} }

// Forbidden answers 403 Forbidden.
func Forbidden() *Error { return &Error{Status: http.StatusForbidden} }

// NotFound answers 404 Not Found.
func NotFound() *Error { return &Error{Status: http.StatusNotFound} }

// Conflict answers 409 Conflict.
func Conflict() *Error { return &Error{Status: http.StatusConflict} }

// Gone answers 410 Gone.
func Gone() *Error { return &Error{Status: http.StatusGone} }
