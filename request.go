package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Request serves one request to the application in process, without a
// network, and returns the response with its body in memory: web.py's
// app.request, for tests and for trying a handler out.
//
//	resp, err := app.Request("/login", "POST", url.Values{"user": {"ann"}}, nil)
//
// path is the request target with its query ("/search?q=go"); method ""
// means GET. body is nil, a string, a []byte, an io.Reader, or url.Values,
// which is sent urlencoded with its Content-Type, as a form would be. The
// header may be nil; a "Host" in it sets the request's host (default
// 0.0.0.0:8080, web.py's). The client address is 127.0.0.1. Every
// middleware installed with Use runs, sessions included; cookies are only
// what header carries, since there is no jar (package webtest has one).
// An error means the request could not be built, or that the response
// was aborted (a panic with http.ErrAbortHandler, which net/http answers
// by dropping the connection); any status is a response.
func (a *Application) Request(path, method string, body any, header http.Header) (resp *http.Response, err error) {
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.ParseRequestURI(path)
	if err != nil || !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("web: Request: path %q must be a URL path such as /count?x=1", path)
	}
	h := header.Clone()
	if h == nil {
		h = http.Header{}
	}
	rd, n, err := requestBody(body, h)
	if err != nil {
		return nil, err
	}
	host := h.Get("Host")
	h.Del("Host")
	if host == "" {
		host = "0.0.0.0:8080"
	}
	r := &http.Request{
		Method: method, URL: u, RequestURI: path,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: rd, ContentLength: n, Host: host,
		RemoteAddr: "127.0.0.1:0",
	}
	w := &recorder{header: http.Header{}}
	defer func() {
		// A server would drop the connection; a client in process
		// would otherwise crash with its caller.
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			resp, err = nil, fmt.Errorf("web: Request %s %s: the response was aborted: %w", method, path, http.ErrAbortHandler)
		}
	}()
	a.ServeHTTP(w, r)
	return w.result(r), nil
}

// requestBody turns a Request body into a reader and its length, setting
// the Content-Type of a form.
func requestBody(body any, h http.Header) (io.ReadCloser, int64, error) {
	var b []byte
	switch v := body.(type) {
	case nil:
		return http.NoBody, 0, nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case url.Values:
		b = []byte(v.Encode())
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case io.Reader:
		return io.NopCloser(v), -1, nil
	default:
		return nil, 0, fmt.Errorf("web: Request: a body is nil, a string, []byte, url.Values or an io.Reader, not %T", body)
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

// recorder is the http.ResponseWriter of Request. It keeps the headers as
// they were when the status was written, as a connection would have sent
// them. (net/http/httptest has one, but importing it adds its flag to
// every program built with this package.)
type recorder struct {
	header http.Header
	sent   http.Header // the headers at WriteHeader
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.sent != nil {
		return
	}
	w.status, w.sent = code, w.header.Clone()
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

// Flush is a no-op: the whole body is kept.
func (w *recorder) Flush() { w.WriteHeader(http.StatusOK) }

// result is the response recorded, as a client would read it.
func (w *recorder) result(r *http.Request) *http.Response {
	w.WriteHeader(http.StatusOK)
	if w.sent.Get("Content-Type") == "" && w.body.Len() > 0 {
		// What net/http does for a handler that sets no type.
		w.sent.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	if r.Method == http.MethodHead {
		w.body.Reset()
	}
	n := int64(w.body.Len())
	if cl, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil && r.Method == http.MethodHead {
		n = cl
	}
	return &http.Response{
		Status:     strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode: w.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        w.sent,
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		ContentLength: n,
		Request:       r,
	}
}
