// Package counttest is web.py's count example as a net/http handler
// behind a session.Manager, for the tests of the stores, which drive a
// real Manager over each of them: GET /count increments the session's
// count and answers it, /peek answers it, /reset kills the session, and
// /none answers without using it.
package counttest

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/gowebpy/web/session"
)

// Key signs the test sessions' cookies.
const Key = "0123456789abcdef0123456789abcdef-test-key"

// App returns the count example over store, with a Manager that t closes.
// cfg's SecretKeys default to Key, its Logger to one that discards, and
// its CleanupInterval to none. stall, when set, runs in /count between
// reading the count and writing it, to widen the window two requests can
// meet in, or to hold a request there; and in /reset between reading the
// session and killing it, to hold a Kill there.
func App(t testing.TB, store session.Store, cfg session.Config, stall func()) http.Handler {
	t.Helper()
	if cfg.SecretKeys == nil {
		cfg.SecretKeys = []string{Key}
	}
	if cfg.CleanupInterval == 0 {
		cfg.CleanupInterval = -1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m, err := session.New(store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		n := s.Int("count") + 1
		if stall != nil {
			stall()
		}
		if err := s.Set("count", n); err != nil {
			return // the middleware answers with the session's error
		}
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("/peek", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.FromContext(r.Context()).Int("count"))
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		if stall != nil {
			s.Int("count") // loads the session, and takes its lock, before the stall
			stall()
		}
		s.Kill() // a failure is the session's error, which the middleware answers
		fmt.Fprint(w, "Reset")
	})
	mux.HandleFunc("/none", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello")
	})
	return m.Middleware(mux)
}
