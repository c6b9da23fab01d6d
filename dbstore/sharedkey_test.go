package dbstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/gowebpy/web/session"
)

// Two instances sharing one database, neither with a configured key,
// sign with the same key: each accepts the other's cookies.
func TestInstancesShareTheGeneratedKey(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Setenv(session.EnvSecretKey, "")
			t.Chdir(t.TempDir()) // a key file, if one were written, would land here
			db, _ := b.open(t)
			store := newStore(t, db)
			newInstance := func() http.Handler {
				m, err := session.New(store, session.Config{CleanupInterval: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { m.Close() })
				return m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					s := session.FromContext(r.Context())
					s.Set("count", s.Int("count")+1)
					fmt.Fprint(w, s.Int("count"))
				}))
			}
			one, two := newInstance(), newInstance()
			c := &client{h: one}
			c.mustGet(t, "/count", "1")
			c.h = two
			c.mustGet(t, "/count", "2")
			c.h = one
			c.mustGet(t, "/count", "3")

			// Instances starting at the same moment agree too.
			var wg sync.WaitGroup
			keys := make([]string, 8)
			for i := range keys {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k, err := store.SharedKey(context.Background(), fmt.Sprintf("candidate-%d-0123456789abcdef0123456789", i))
					if err != nil {
						t.Error(err)
					}
					keys[i] = k
				}()
			}
			wg.Wait()
			for _, k := range keys {
				if k != keys[0] {
					t.Fatalf("instances got different keys: %q", keys)
				}
			}
			// The key row is no session and survives the cleanup.
			if n, err := store.Cleanup(context.Background(), endOfTimeMinusADay()); err != nil || n != 1 {
				t.Errorf("Cleanup = %d, %v; want the one session row only", n, err)
			}
			if k, _ := store.SharedKey(context.Background(), "another-candidate-0123456789abcdef0123"); k != keys[0] {
				t.Error("the cleanup removed the kept key")
			}
		})
	}
}
