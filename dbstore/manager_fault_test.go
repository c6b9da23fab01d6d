package dbstore_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/outagetest"
	"github.com/gowebpy/web/session"
)

// TestManagerThroughAnOutage is issue 13's fault acceptance at the
// Manager: a database that hangs, then refuses, under concurrent requests
// of a count app with StoreTimeout 1 s, with and without Locking (see
// internal/outagetest for what is checked). The lease is long, two
// minutes, so that a lease left by a lock attempt of the freeze would
// hold the session for 12 s (a tenth of it, see LockingStore) and be
// seen.
func TestManagerThroughAnOutage(t *testing.T) {
	for _, b := range serverBackends() {
		for _, locking := range []bool{false, true} {
			name := b.name
			if locking {
				name += "/locking"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dsn := b.dsn(t)
				table := newStore(t, openDSN(t, b.dialect, dsn)).Table() // created, and dropped at the end
				proxied, p := throughProxy(t, b, dsn)
				db := openDSN(t, b.dialect, proxied)
				db.SetMaxOpenConns(poolSize)
				db.SetMaxIdleConns(poolSize)
				s, err := dbstore.New(db, table, dbstore.WithLockLease(2*time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				var store session.Store = s
				if locking {
					store = s.Locking()
				}
				log := &outagetest.Log{}
				cfg := session.Config{StoreTimeout: time.Second, Logger: slog.New(slog.NewTextHandler(log, nil))}
				outagetest.Run(t, outagetest.Target{
					Handler:      countApp(t, store, cfg, nil),
					Log:          log,
					Proxy:        p,
					StoreTimeout: cfg.StoreTimeout,
					Conns:        func() int { return db.Stats().OpenConnections },
					PoolSize:     poolSize,

					RefusalFailsFast: true,
				})
			})
		}
	}
}
