package web_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gowebpy/web"
)

// lookup returns its error as a *web.Error, the way a helper often
// does; returned through an error it is a non-nil interface holding nil.
func lookup(id string) (string, *web.Error) {
	if id == "" {
		return "", web.NotFound()
	}
	return "item " + id, nil
}

type typedNilItem struct{}

func (typedNilItem) GET(c *web.Context) (any, error) {
	v, err := lookup(c.Param("id"))
	return v, err
}

// A nil *web.Error returned as an error is no error, to the response and
// to the processors around the handler alike.
func TestTypedNilErrorIsNoError(t *testing.T) {
	app := newApp(t, web.URLs{
		"/items/:id", typedNilItem{},
		"/fn/:id", func(c *web.Context) (any, error) {
			v, err := lookup(c.Param("id"))
			return v, err
		},
	})
	var seen []error
	app.AddProcessor(func(c *web.Context, next func() (any, error)) (any, error) {
		v, err := next()
		seen = append(seen, err)
		return v, err
	})
	for _, path := range []string{"/items/42", "/fn/42"} {
		w := serve(app, "GET", path, nil)
		if w.Code != 200 || w.Body.String() != "item 42" {
			t.Errorf("GET %s: got %d %q, want 200 \"item 42\"", path, w.Code, w.Body)
		}
		resp, err := app.Request(path, "GET", nil, nil)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("Request %s: got %v, %v", path, resp, err)
		}
	}
	for i, err := range seen {
		if err != nil {
			t.Errorf("processor %d saw the error %#v, want nil", i, err)
		}
	}
}

// A processor's own nil *web.Error is no error either.
func TestTypedNilErrorFromProcessor(t *testing.T) {
	app := newApp(t, web.URLs{"/", returns("ok", nil)})
	app.AddProcessor(func(c *web.Context, next func() (any, error)) (any, error) {
		v, _ := next()
		var e *web.Error
		return v, e
	})
	if w := serve(app, "GET", "/", nil); w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("got %d %q, want 200 \"ok\"", w.Code, w.Body)
	}
}

// wrapper wraps an error and builds its message only when asked, as
// many error types do.
type wrapper struct{ err error }

func (w wrapper) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapper) Unwrap() error { return w.err }

// A nil *web.Error deep in a wrap chain is a programming error: it
// answers 500 and is logged, and the server goes on.
func TestWrappedNilError(t *testing.T) {
	var nilErr *web.Error
	app := newApp(t, web.URLs{
		"/fmt", returns(nil, fmt.Errorf("loading: %w", nilErr)),
		"/lazy", returns("body", wrapper{nilErr}),
	})
	logs := captureLog(app)
	for _, path := range []string{"/fmt", "/lazy"} {
		w := serve(app, "GET", path, nil)
		if w.Code != 500 || w.Body.String() != "internal server error" {
			t.Errorf("GET %s: got %d %q, want 500", path, w.Code, w.Body)
		}
		if _, err := app.Request(path, "GET", nil, nil); err != nil {
			t.Errorf("Request %s: %v", path, err)
		}
	}
	if out := logs.String(); strings.Count(out, "wraps a nil *web.Error") != 4 {
		t.Errorf("want each request logged once, naming the nil *web.Error:\n%s", out)
	}
}

type panicStringer struct{}

func (panicStringer) String() string { panic("String broke") }

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("Read broke") }

// A panic in the result's own code, as it is written, is logged with its
// stack and answered 500 while nothing has been sent.
func TestPanicWritingResult(t *testing.T) {
	app := newApp(t, web.URLs{
		"/stringer", returns(panicStringer{}, nil),
		"/reader", returns(panicReader{}, nil),
		"/created", returns(panicStringer{}, &web.Error{Status: http.StatusCreated, Location: "/x"}),
	})
	logs := captureLog(app)
	for _, path := range []string{"/stringer", "/reader", "/created"} {
		w := serve(app, "GET", path, nil)
		if w.Code != 500 || w.Body.String() != "internal server error" || w.Header().Get("Location") != "" {
			t.Errorf("GET %s: got %d %q %v, want 500 without a Location", path, w.Code, w.Body, w.Header())
		}
		resp, err := app.Request(path, "GET", nil, nil)
		if err != nil || resp.StatusCode != 500 {
			t.Errorf("Request %s: got %v, %v", path, resp, err)
		}
	}
	out := logs.String()
	if strings.Count(out, "String broke") != 4 || strings.Count(out, "Read broke") != 2 || !strings.Contains(out, "runtime/debug.Stack") {
		t.Errorf("panics not logged once each with a stack:\n%s", out)
	}
}

// halfReader sends some of its body, then panics.
type halfReader struct{ n int }

func (r *halfReader) Read(p []byte) (int, error) {
	if r.n > 0 {
		panic("Read broke halfway")
	}
	r.n++
	return copy(p, "the first half"), nil
}

// Once the status has gone out, a 500 cannot follow: the response is
// aborted, so that the client cannot take a cut body for a whole one.
func TestPanicAfterResponseStarted(t *testing.T) {
	app := newApp(t, web.URLs{"/", handle(func(c *web.Context) (any, error) {
		c.Response.Header().Set("Content-Type", "text/plain")
		return io.Reader(&halfReader{}), nil
	})})
	logs := captureLog(app)
	func() {
		defer func() {
			if v := recover(); v != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", v)
			}
		}()
		serve(app, "GET", "/", nil)
	}()
	if _, err := app.Request("/", "GET", nil, nil); !errors.Is(err, http.ErrAbortHandler) {
		t.Errorf("Request: got %v, want an error wrapping http.ErrAbortHandler", err)
	}
	if out := logs.String(); strings.Count(out, "Read broke halfway") != 2 {
		t.Errorf("panic not logged once per request:\n%s", out)
	}
}
