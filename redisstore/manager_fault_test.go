package redisstore_test

import (
	"testing"
	"time"

	"github.com/gowebpy/web/internal/outagetest"
	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
)

// TestManagerThroughAnOutage is issue 13's fault acceptance at the
// Manager: a Redis that hangs, then refuses, under concurrent requests of
// a count app with StoreTimeout 1 s, with and without Locking (see
// internal/outagetest for what is checked). The lease is long, two
// minutes, so that a lease taken by a lock request of the freeze that
// reached Redis late would hold the session and be seen.
func TestManagerThroughAnOutage(t *testing.T) {
	for _, locking := range []bool{false, true} {
		name := "plain"
		if locking {
			name = "locking"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, client, s, _ := proxiedPair(t, redisstore.WithLockLease(2*time.Minute))
			var store session.Store = s
			if locking {
				store = s.Locking()
			}
			log := &outagetest.Log{}
			cfg := session.Config{StoreTimeout: time.Second}
			outagetest.Run(t, outagetest.Target{
				Handler:      countApp(t, store, cfg, log, nil),
				Log:          log,
				Proxy:        p,
				StoreTimeout: cfg.StoreTimeout,
				Conns:        func() int { return int(client.PoolStats().TotalConns) },
				PoolSize:     poolSize,
			})
		})
	}
}
