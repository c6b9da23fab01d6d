package session

import (
	"errors"
	"fmt"
	"net/http"
)

// Errors that end a request. A session whose Err is one of them answers
// with its status instead of the handler's response; Config.ErrorHandler
// can change that answer. IsClientError tells the two kinds apart: what
// the client sent (a bad or expired cookie, a new address: 4xx, logged
// quietly) and what failed on our side (the store, the lock, the set-up:
// 5xx, logged as errors).
var (
	// ErrNoMiddleware: the session was asked for, but no Manager with that
	// name serves the request. Install one with app.Use(m.Middleware) or
	// m.Middleware(handler). Answers 500.
	ErrNoMiddleware = errors.New("session: no session manager serves this request; install one with app.Use(manager.Middleware)")
	// ErrLockTimeout: the session's lock was held by another request for
	// longer than Config.LockTimeout. Answers 503 with Retry-After.
	ErrLockTimeout = errors.New("session: timed out waiting for another request of the same session")
	// ErrBadCookie: the session cookie's signature does not verify with
	// any key: tampered, truncated, or signed with a key since removed.
	// Answers 400 "Bad Cookie" and clears the cookie, unless
	// Config.RejectBadCookie is No.
	ErrBadCookie = errors.New("session: bad cookie")
	// ErrExpired: a validly signed session is no longer in the store, or
	// has outlived Config.Lifetime, and Config.IgnoreExpiry is No; or its
	// client address changed and Config.IgnoreChangeIP is No. Answers
	// Config.ExpiredStatus with Config.ExpiredMessage.
	ErrExpired = errors.New("session: expired")
	// ErrIPChanged is the ErrExpired of a session used from a new address.
	ErrIPChanged = fmt.Errorf("%w: client address changed", ErrExpired)
)

// StoreError is a failure of the store, such as a database that is down,
// slow past Config.StoreTimeout, or a disk that is full: the request
// answers 503 with Retry-After and the cause is logged. A value the store
// cannot take (Op "encode", or a session too large for its cookie) is a
// StoreError too, but a retry cannot help it: it answers 500. A
// StoreError is never caused by what the client sent.
type StoreError struct {
	Op    string // "load", "save", "touch", "delete", "lock", "encode"
	Store string // the store's type, such as "*dbstore.Store"
	Err   error
}

// Error says which store operation failed and why.
func (e *StoreError) Error() string {
	if e.Store == "" {
		return "session: store " + e.Op + ": " + e.Err.Error()
	}
	return "session: store " + e.Store + ": " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the store's own error.
func (e *StoreError) Unwrap() error { return e.Err }

// IsClientError reports whether err, an error a session ended a request
// with, was caused by what the client sent: ErrBadCookie, ErrExpired or
// ErrIPChanged. Every other error is the server's fault.
func IsClientError(err error) bool {
	return errors.Is(err, ErrBadCookie) || errors.Is(err, ErrExpired)
}

// Unavailable reports whether err is a store that is down or does not
// answer in time: a *StoreError other than a value it cannot take. Such a
// request is answered 503 with Retry-After, as it may succeed later.
func Unavailable(err error) bool {
	var se *StoreError
	return errors.As(err, &se) && se.Op != "encode" && !errors.Is(err, ErrCookieTooLarge)
}

// worse returns the error a request with both a and b answers with: the
// server's fault before the client's, else the first.
func worse(a, b error) error {
	if a == nil || (IsClientError(a) && b != nil && !IsClientError(b)) {
		return b
	}
	return a
}

// retryAfter is the Retry-After of an answer for a store that is down:
// long enough not to add to its load, short enough for a person to wait.
const retryAfter = "5"

// Answer is the default answer to an error a session ended a request
// with.
type Answer struct {
	Status     int
	Body       string // plain text
	RetryAfter string // the Retry-After header, or "" when a retry cannot help
}

// AnswerFor returns the default answer to err under cfg (its ExpiredStatus
// and ExpiredMessage, or their defaults): what a Manager without an
// ErrorHandler writes, and the status a handler that renders its own page
// should keep.
func AnswerFor(cfg Config, err error) Answer {
	switch {
	case Unavailable(err): // before ErrLockTimeout, which a queue behind a hung store wraps
		return Answer{http.StatusServiceUnavailable, "session store unavailable, try again later", retryAfter}
	case errors.Is(err, ErrLockTimeout):
		return Answer{http.StatusServiceUnavailable, "session busy, try again", "1"}
	case errors.Is(err, ErrFenced):
		return Answer{http.StatusServiceUnavailable, "session changed elsewhere, try again", "1"}
	case errors.Is(err, ErrBadCookie):
		return Answer{Status: http.StatusBadRequest, Body: "Bad Cookie"}
	case errors.Is(err, ErrExpired):
		setDefault(&cfg.ExpiredStatus, DefaultExpiredStatus)
		setDefault(&cfg.ExpiredMessage, DefaultExpiredMessage)
		return Answer{Status: cfg.ExpiredStatus, Body: cfg.ExpiredMessage}
	}
	return Answer{Status: http.StatusInternalServerError, Body: "internal server error"}
}

// answer writes the default answer for err.
func (m *Manager) answer(w http.ResponseWriter, err error) {
	a := AnswerFor(m.cfg, err)
	h := w.Header()
	if a.RetryAfter != "" {
		h.Set("Retry-After", a.RetryAfter)
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}
