package dbstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/session"
)

// TestStatementCounts drives web.py's count example through a real
// session.Manager over a driver wrapper that counts the statements each
// request runs. web.py's DBStore runs 5 for an existing session and 3 for
// a new one (reference §2.3).
func TestStatementCounts(t *testing.T) {
	type step struct {
		name, path, body string
		manager          int // 0: TouchInterval 1 minute; 1: 1 ms, so that a read moves the deadline
		want, wantLocked int64
	}
	steps := []step{
		{"no session used", "/none", "hello", 0, 0, 0},
		{"first /count: new session", "/count", "1", 0, 1, 1},              // upsert
		{"second /count: existing, changed", "/count", "2", 0, 2, 4},       // select, update (+ lease, release)
		{"read only, deadline fresh", "/peek", "2", 0, 1, 3},               // select
		{"read only, deadline due for a touch", "/peek", "2", 1, 2, 4},     // select, touch
		{"/reset", "/reset", "Reset", 0, 2, 4},                             // select, delete
		{"/count after /reset: new session again", "/count", "1", 0, 1, 1}, // upsert
	}
	for _, b := range backends {
		for _, locked := range []bool{false, true} {
			name := b.name
			if locked {
				name += "/locking"
			}
			t.Run(name, func(t *testing.T) {
				dsn := b.dsn(t)
				db, p := openWrapped(t, b.dialect, dsn)
				var store session.Store = newStore(t, db, dbstore.WithDialect(b.dialect))
				if locked {
					store = store.(*dbstore.Store).Locking()
				}
				handlers := []*client{
					{h: countApp(t, store, session.Config{}, nil)},
					{h: countApp(t, store, session.Config{TouchInterval: time.Millisecond}, nil)},
				}
				cookie := ""
				for _, st := range steps {
					c := handlers[st.manager]
					c.cookie = cookie
					if st.manager == 1 {
						time.Sleep(5 * time.Millisecond) // past the 1 ms TouchInterval
					}
					p.reset()
					c.mustGet(t, st.path, st.body)
					cookie = c.cookie
					want := st.want
					if locked {
						want = st.wantLocked
					}
					got := p.statements()
					t.Logf("%-40s %d statement(s), %d prepared: %s", st.name, got, p.prepares.Load(), strings.Join(p.statementLog(), " | "))
					if got != want {
						t.Errorf("%s: %d statements; want %d", st.name, got, want)
					}
				}
			})
		}
	}
}
