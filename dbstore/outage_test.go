package dbstore_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/outagetest"
	"github.com/gowebpy/web/session"
)

// TestOutageAndRecovery takes the database away under a running app with
// a fault-injecting driver: requests answer 503 with the cause logged
// once, the session in the database is left as it was, and the first
// request after the database comes back succeeds, on the same session,
// without restarting anything.
func TestOutageAndRecovery(t *testing.T) {
	for _, b := range backends {
		for _, locked := range []bool{false, true} {
			name := b.name
			if locked {
				name += "/locking"
			}
			t.Run(name, func(t *testing.T) {
				db, p := openWrapped(t, b.dialect, b.dsn(t))
				var store session.Store = newStore(t, db, dbstore.WithDialect(b.dialect))
				if locked {
					store = store.(*dbstore.Store).Locking()
				}
				logs := &outagetest.Log{}
				h := countApp(t, store, session.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))}, nil)
				c := &client{h: h}
				c.mustGet(t, "/count", "1")
				c.mustGet(t, "/count", "2")
				cookie := c.cookie

				// expect503 sends path and wants a 503 with Retry-After.
				expect503 := func(c *client, path string) {
					t.Helper()
					code, body := c.get(path)
					if code != http.StatusServiceUnavailable {
						t.Fatalf("GET %s with the database failing = %d %q; want 503", path, code, body)
					}
				}
				// loggedOnce wants the outage in one ERROR line, with its
				// cause, however many requests met it.
				loggedOnce := func(want string) {
					t.Helper()
					lines := outagetest.Containing(logs.Take(), "level=ERROR")
					if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], "dbstore") {
						t.Fatalf("the outage logged %d error line(s) %q; want one, with the cause %q", len(lines), lines, want)
					}
				}

				// The server goes away: connections break, new ones are refused.
				p.down.Store(true)
				expect503(c, "/count")
				expect503(&client{h: h}, "/count") // a new visitor
				expect503(c, "/reset")
				loggedOnce("connection refused")
				if c.cookie != cookie {
					t.Fatalf("a failed request changed the cookie from %q to %q", cookie, c.cookie)
				}

				// It comes back: the same session goes on where it was.
				p.down.Store(false)
				c.mustGet(t, "/count", "3")

				// Reads work but writes fail (a full disk): the change of
				// the failed request is not half-written.
				p.failWrite.Store(true)
				expect503(c, "/count")
				loggedOnce("disk I/O error")
				p.failWrite.Store(false)
				c.mustGet(t, "/peek", "3")
				c.mustGet(t, "/count", "4")
				if lines := outagetest.Containing(logs.Take(), "level=ERROR"); len(lines) != 0 {
					t.Errorf("requests after the recovery logged errors: %q", lines)
				}
			})
		}
	}
}
