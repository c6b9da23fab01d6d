package bench

import (
	"net/http"
	"sync/atomic"
)

// Counted wraps h so that every /count answered 200 is counted in n: the
// number of increments the server acknowledged, against which the final
// count of the one-session scenario is checked. It counts on the server
// side, so requests still in flight when the load driver stops are counted
// if and only if they were answered.
func Counted(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/count" {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == 0 || sw.status == http.StatusOK {
			n.Add(1)
		}
	})
}

// statusWriter records the status of the response written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
