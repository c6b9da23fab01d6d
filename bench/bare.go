package bench

import (
	"net/http"
	"strconv"
	"sync/atomic"
)

// The bare handler: the count app without a session, the ceiling every
// ratio of the tables is to.
func init() {
	register(Variant{
		Name: "bare", Group: "ceiling",
		Desc: "net/http handler, no session: a global atomic counter (the ceiling)",
		New: func(Env) (http.Handler, func() error, error) {
			var n atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Write(strconv.AppendInt(nil, n.Add(1), 10))
			})
			mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
				n.Store(0)
				w.Write([]byte("Reset"))
			})
			return mux, noClose, nil
		},
	})
}
