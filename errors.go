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
//
// A 2xx status and 304 Not Modified (Created, Accepted, NoContent,
// NotModified) are not failures, and are answered as successes: the
// result returned with one is the body, sent with that status as if the
// handler had called SetStatus, and only without a result is the message
// the body. So return web.JSON(item), web.Created() answers 201 with the
// item. 204 and 304 never have a body, nor a Content-Type the framework
// adds, whatever is returned with them. A Location, when set, is sent
// resolved as for a redirect (a 201 naming the new resource).
//
// A status of 500 and above is a failure: the session layer drops the
// request's session changes, and when the handler wrapped the *Error with
// context (fmt.Errorf("saving: %w", web.InternalError())), the whole
// error is logged.
//
// A nil *Error returned as the error, as from a helper of type
// func() (T, *web.Error) whose pair the handler returns, is no error.
type Error struct {
	Status   int    // the HTTP status code
	Message  string // the response body; empty means the lower-case status text
	Location string // for redirects: the target, resolved as web.py resolves it
}

// Error returns the message, or the lower-case status text, as web.py
// writes it ("not found", "bad request").
func (e *Error) Error() string {
	if e == nil {
		// An error type that wraps one builds its message from this.
		return "<nil *web.Error>"
	}
	if e.Message != "" {
		return e.Message
	}
	return strings.ToLower(http.StatusText(e.Status))
}

// success reports whether e answers as a success rather than a failure.
func (e *Error) success() bool {
	return e.Status >= 200 && e.Status < 300 || e.Status == http.StatusNotModified
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
//
// A 301 says the page has moved for good, and browsers cache it: they go
// straight to the target from then on, without asking the server again.
// For a redirect that depends on the moment, such as "go to the login
// page", use SeeOther (after a POST) or Found.
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

// Created answers 201 Created (web.created): return it with the new
// resource as the result. Its Location field, when set, names the
// resource and is resolved as a redirect target is:
//
//	e := web.Created()
//	e.Location = "/items/" + id // http://host/items/42
//	return web.JSON(item), e
//
// Without a result the body is "created".
func Created() *Error { return &Error{Status: http.StatusCreated} }

// Accepted answers 202 Accepted (web.accepted): the request was taken and
// will be carried out later. A result returned with it is the body;
// without one the body is "accepted".
func Accepted() *Error { return &Error{Status: http.StatusAccepted} }

// NoContent answers 204 No Content (web.nocontent), without a body
// whatever the handler returns with it.
func NoContent() *Error { return &Error{Status: http.StatusNoContent} }

// NotModified answers 304 Not Modified (web.notmodified), without a body,
// for a conditional request (If-None-Match, If-Modified-Since) whose copy
// is still fresh. Headers the handler set, such as ETag, are kept.
func NotModified() *Error { return &Error{Status: http.StatusNotModified} }

// NotAcceptable answers 406 Not Acceptable (web.NotAcceptable): no
// representation matches the request's Accept headers.
func NotAcceptable() *Error { return &Error{Status: http.StatusNotAcceptable} }

// PreconditionFailed answers 412 Precondition Failed
// (web.PreconditionFailed), for an If-Match or If-Unmodified-Since that
// does not hold.
func PreconditionFailed() *Error { return &Error{Status: http.StatusPreconditionFailed} }

// UnsupportedMediaType answers 415 Unsupported Media Type
// (web.UnsupportedMediaType), for a body of a Content-Type the handler
// does not read.
func UnsupportedMediaType() *Error { return &Error{Status: http.StatusUnsupportedMediaType} }

// InternalError answers 500 "internal server error" (web.InternalError),
// as any error without a status does, but without logging it: return it
// after logging the cause yourself, or wrap it with the cause
// (fmt.Errorf("loading %s: %w", id, web.InternalError())) and the
// framework logs the whole error.
func InternalError() *Error { return &Error{Status: http.StatusInternalServerError} }
