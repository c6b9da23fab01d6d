package dbstore_test

import (
	"net/http"
	"testing"

	"github.com/gowebpy/web/session"
)

// BenchmarkCount measures one /count round trip of an existing session
// (load, increment, save) through session.Manager and httptest, on each
// database, without and with the Locker; MemoryStore is the baseline.
//
//	TEST_POSTGRES_DSN=... TEST_MYSQL_DSN=... go test -run '^$' -bench 'BenchmarkCount$' ./dbstore
func BenchmarkCount(b *testing.B) {
	run := func(b *testing.B, store session.Store) {
		c := &client{h: countApp(b, store, session.Config{}, nil)}
		c.mustGet(b, "/count", "1")
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if code, body := c.get("/count"); code != http.StatusOK {
				b.Fatalf("/count = %d %q", code, body)
			}
		}
	}
	b.Run("memory", func(b *testing.B) { run(b, session.NewMemoryStore()) })
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			db, _ := be.open(b)
			run(b, newStore(b, db))
		})
		b.Run(be.name+"-locking", func(b *testing.B) {
			db, _ := be.open(b)
			run(b, newStore(b, db).Locking())
		})
	}
}
