package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
)

// respond writes the handler's result or error.
func (a *Application) respond(c *Context, result any, err error) {
	if _, ok := result.(written); ok && err == nil {
		return
	}
	if c.fatal != nil {
		a.logger().Error("web: "+c.fatal.Error(), "method", c.Request.Method, "path", c.Request.URL.Path)
		result, err = nil, errPanic
	}
	c.Response.Header().Set("X-Content-Type-Options", "nosniff")
	status := c.status
	if err != nil {
		he := a.httpError(c, err)
		if !he.success() || result == nil {
			writeError(c, he)
			return
		}
		// A success status is no failure: the result is its body.
		if he.Location != "" {
			c.Response.Header().Set("Location", c.absoluteURL(he.Location))
		}
		status = he.Status
	}
	if status == 0 {
		status = http.StatusOK
	}
	a.writeResult(c, status, result)
}

// respondSafely is respond with a panic in the result's own code (the
// String or Read method of a result) logged with its stack, as run logs
// a handler's. While nothing has been written it answers 500; after the
// status has gone out, it aborts the response, so that the client sees
// a failure rather than a cut body it could take for a whole one.
func (a *Application) respondSafely(c *Context, result any, err error) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		a.logger().Error("web: panic writing the response", "method", c.Request.Method, "path", c.Request.URL.Path,
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if c.started {
			panic(http.ErrAbortHandler)
		}
		// A 201's Location was set before its body failed.
		c.Response.Header().Del("Location")
		writeError(c, &Error{Status: http.StatusInternalServerError})
	}()
	a.respond(c, result, err)
}

// httpError returns the *Error that err answers with, logging what an
// operator must see: any error that carries no status (answered 500), a
// status no response can have, and the cause around a 5xx *Error that
// the handler wrapped with context.
func (a *Application) httpError(c *Context, err error) *Error {
	var he *Error
	switch {
	case !errors.As(err, &he):
		if err != errPanic {
			a.logger().Error("web: handler error", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		}
		return &Error{Status: http.StatusInternalServerError}
	case he == nil:
		// noNilError cleared a nil *Error returned as the error itself;
		// one inside a wrap chain carries no status to answer with.
		a.logger().Error("web: handler error wraps a nil *web.Error; return a nil error for success",
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		return &Error{Status: http.StatusInternalServerError}
	case !validStatus(he.Status):
		a.logger().Error(fmt.Sprintf("web: handler returned an error with status %d; a response status is 200 to 999", he.Status),
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		return &Error{Status: http.StatusInternalServerError}
	case he.Status >= 500 && err != error(he):
		a.logger().Error("web: handler error", "method", c.Request.Method, "path", c.Request.URL.Path, "status", he.Status, "err", err)
	}
	return he
}

// writeError answers with an *Error: a failure as an error page, a
// redirect with its Location and no body (unless it has a Message), a
// success status with its message as plain text.
func writeError(c *Context, he *Error) {
	if he.Location == "" && !he.success() {
		writeErrorPage(c, he) // HTML for a browser, text for curl
		return
	}
	h := c.Response.Header()
	body := he.Error()
	if he.Location != "" {
		h.Set("Location", c.absoluteURL(he.Location))
		if !he.success() {
			body = he.Message
		}
	}
	if !bodiless(he.Status) {
		h.Set("Content-Type", textPlain)
	}
	writeBody(c, he.Status, body)
}

const (
	textPlain = "text/plain; charset=utf-8"
	textHTML  = "text/html; charset=utf-8"
	appJSON   = "application/json; charset=utf-8"
)

// writeResult writes a successful result with status.
func (a *Application) writeResult(c *Context, status int, result any) {
	w, h := c.Response, c.Response.Header()
	if !validStatus(status) {
		// net/http panics on such a code, outside the handler's recover.
		a.logger().Error(fmt.Sprintf("web: SetStatus(%d); a response status is 200 to 999", status),
			"method", c.Request.Method, "path", c.Request.URL.Path)
		result, status = internalError{}, http.StatusInternalServerError
	}
	setType := func(ct string) {
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", ct)
		}
	}
	// Text comes first, so that a Stringer that is also a Reader or a
	// Handler (*bytes.Buffer) is sent whole, with its length.
	text, ctype, isText := textOf(result)
	if !isText {
		switch v := result.(type) {
		case http.Handler:
			c.started = true
			v.ServeHTTP(w, c.Request) // it writes the whole response, status included
			return
		case io.Closer:
			defer v.Close()
		}
	}
	if bodiless(status) {
		// 204 and 304 have no body, so whatever the result was is dropped
		// rather than sent with a type it does not have.
		writeBody(c, status, "")
		return
	}
	if isText {
		setType(ctype)
		writeBody(c, status, text)
		return
	}
	switch v := result.(type) {
	case nil:
		writeBody(c, status, "")
	case io.Reader:
		a.stream(c, status, v)
	case JSONResult:
		body, err := json.Marshal(v.Value)
		if err != nil {
			a.logger().Error("web: encoding the JSON result failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
			h.Set("Content-Type", textPlain)
			writeBody(c, http.StatusInternalServerError, "internal server error")
			return
		}
		setType(appJSON)
		writeBody(c, status, string(body))
	case internalError:
		writeError(c, &Error{Status: http.StatusInternalServerError})
	default:
		// Named string, number and bool types (type Celsius float64)
		// are text too, as web.py's str(result) would make them.
		if text, ok := formatKind(result); ok {
			setType(textPlain)
			writeBody(c, status, text)
			return
		}
		a.logger().Error(fmt.Sprintf("web: handler returned a %T; return a string, []byte, number, fmt.Stringer, io.Reader, web.HTML, web.JSON(v) or http.Handler", result),
			"method", c.Request.Method, "path", c.Request.URL.Path)
		writeError(c, &Error{Status: http.StatusInternalServerError})
	}
}

// stream copies a reader result to the response.
func (a *Application) stream(c *Context, status int, r io.Reader) {
	w, h := c.Response, c.Response.Header()
	if h.Get("Content-Type") == "" {
		// Sniff as for []byte, here rather than in net/http, so that
		// the type does not depend on which ResponseWriter (server,
		// recorder, middleware) is underneath.
		br := bufio.NewReaderSize(r, sniffLen)
		head, _ := br.Peek(sniffLen)
		h.Set("Content-Type", http.DetectContentType(head))
		r = br
	}
	c.started = true
	w.WriteHeader(status)
	if c.Request.Method != http.MethodHead {
		if _, err := io.Copy(w, r); err != nil {
			a.logger().Warn("web: streaming the response body failed", "path", c.Request.URL.Path, "err", err)
		}
	}
}

// textOf returns the body of a result that is text, and its default
// Content-Type. Named kinds (formatKind) are left for after the readers
// and handlers, which they may also be.
func textOf(result any) (body, ctype string, ok bool) {
	switch v := result.(type) {
	case string:
		return v, textPlain, true
	case HTML:
		return string(v), textHTML, true
	case []byte:
		return string(v), http.DetectContentType(v), true
	case fmt.Stringer:
		return v.String(), textPlain, true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, bool:
		return formatNumber(v), textPlain, true
	}
	return "", "", false
}

// bodiless reports whether a response with status never has a body.
func bodiless(status int) bool {
	return status == http.StatusNoContent || status == http.StatusNotModified
}

// internalError is the result that answers a generic 500, its cause
// already logged.
type internalError struct{}

// validStatus reports whether code can be a final response status;
// net/http panics below 100 and treats 1xx as informational.
func validStatus(code int) bool { return code >= 200 && code <= 999 }

// formatKind formats a value whose underlying type is a string, number or
// bool.
func formatKind(v any) (string, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, rv.Type().Bits()), true
	}
	return "", false
}

// sniffLen is how much of a body http.DetectContentType looks at.
const sniffLen = 512

// writeBody writes a body of known length; HEAD gets the headers only.
func writeBody(c *Context, status int, body string) {
	w := c.Response
	c.started = true
	if bodiless(status) {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if c.Request.Method != http.MethodHead && body != "" {
		io.WriteString(w, body)
	}
}

func formatNumber(v any) string {
	switch n := v.(type) {
	case int:
		return strconv.Itoa(n)
	case float64:
		return strconv.FormatFloat(n, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(n), 'g', -1, 32)
	}
	return fmt.Sprint(v)
}

// absoluteURL resolves a redirect target as web.py does: a relative
// target against the request path, then prefixed with Home. Only a target
// with a scheme leaves the site; a scheme-relative "//host/x" gets Home in
// front like any other path, as in web.py, so that a redirect built from
// user input cannot send the client to another host.
func (c *Context) absoluteURL(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		// Unparsable ("/sale/100%"): web.py still prefixes Home.
		if strings.HasPrefix(loc, "/") {
			return c.Home() + loc
		}
		return loc
	}
	if u.IsAbs() {
		return loc
	}
	if !strings.HasPrefix(loc, "/") {
		loc = (&url.URL{Path: c.path}).ResolveReference(u).String()
	}
	return c.Home() + loc
}
