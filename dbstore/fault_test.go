package dbstore_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/internal/storefault"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// poolSize is the proxied pool's MaxOpenConns. The fault tests' bounds
// are internal/storefault's.
const poolSize = 4

// serverBackends are the backends with a server to take away.
func serverBackends() []backend {
	var bs []backend
	for _, b := range backends {
		if b.dialect != dbstore.SQLite {
			bs = append(bs, b)
		}
	}
	return bs
}

// throughProxy returns dsn with its server's address replaced by a fault
// proxy's, and the proxy.
func throughProxy(t *testing.T, b backend, dsn string) (string, *faultproxy.Proxy) {
	t.Helper()
	var target string
	var rewrite func(addr string) string
	switch b.dialect {
	case dbstore.PostgreSQL:
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		target = u.Host
		if u.Port() == "" {
			target = net.JoinHostPort(u.Hostname(), "5432")
		}
		rewrite = func(addr string) string { u.Host = addr; return u.String() }
	case dbstore.MySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		target = cfg.Addr
		rewrite = func(addr string) string { cfg.Addr = addr; return cfg.FormatDSN() }
	}
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return rewrite(p.Addr()), p
}

// faultyPair returns a store over a pool of poolSize connections through
// a fault proxy, as this process, and a store over the same table with a
// direct pool, as another process: as a storefault.Target, with this
// process's pool and store.
func faultyPair(t *testing.T, b backend) (storefault.Target, *sql.DB, *dbstore.Store) {
	t.Helper()
	dsn := b.dsn(t)
	direct := openDSN(t, b.dialect, dsn)
	other := newStore(t, direct) // creates the table, and drops it at the end
	proxied, p := throughProxy(t, b, dsn)
	db := openDSN(t, b.dialect, proxied)
	db.SetMaxOpenConns(poolSize)
	db.SetMaxIdleConns(poolSize)
	mine, err := dbstore.New(db, other.Table())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mine.Close() })
	return storefault.Target{
		Proxy:    p,
		Server:   "the database",
		Mine:     mine.Locking(),
		Other:    other.Locking(),
		Conns:    func() int { return db.Stats().OpenConnections },
		PoolSize: poolSize,
		Idle:     poolSize, // MaxIdleConns
	}, db, mine
}

// warmUp runs every statement of the lock once, so that the pool holds a
// connection with them prepared: requests then go out on it during a
// fault (a connection dialled during a hang gets no further than its
// handshake, and a statement not yet prepared no further than that).
func warmUp(t *testing.T, s *dbstore.Store) {
	t.Helper()
	lease, err := s.Locking().Lock(storefault.WithDeadline(t, storefault.Healed), storetest.Key("warm"))
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
}

// TestLockDuringAHangLeavesNoLease is issue 13's orphaned lease on a
// database: a lock statement sent while the database hangs runs after it
// is back, and must not hold a lease nobody holds for long. Another
// process gets the lock at once, and so does this one.
func TestLockDuringAHangLeavesNoLease(t *testing.T) {
	for _, b := range serverBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			tg, _, mine := faultyPair(t, b)
			warmUp(t, mine)
			storefault.Hang(t, tg, storetest.Key("hang"))
		})
	}
}

// operations returns every operation of s: Load, Save in both modes,
// Touch, Delete, Cleanup, SharedKey and Lock, on a session saved before.
func operations(t *testing.T, s *dbstore.Store) []storefault.Op {
	t.Helper()
	key := storetest.Key("ops")
	ctx := storefault.WithDeadline(t, storefault.Healed)
	if err := s.Save(ctx, key, []byte(`{"values":{"n":1}}`), time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	hour := func() time.Time { return time.Now().Add(time.Hour) }
	return []storefault.Op{
		{Name: "Load", Run: func(ctx context.Context) error { _, _, _, err := s.Load(ctx, key); return err }},
		{Name: "Save(Create)", Run: func(ctx context.Context) error {
			return s.Save(ctx, storetest.Key("new"), []byte(`{}`), hour(), session.Create)
		}},
		{Name: "Save(Update)", Run: func(ctx context.Context) error {
			return s.Save(ctx, key, []byte(`{"values":{"n":2}}`), hour(), session.Update)
		}},
		{Name: "Touch", Run: func(ctx context.Context) error { return s.Touch(ctx, key, hour()) }},
		{Name: "Delete", Run: func(ctx context.Context) error { return s.Delete(ctx, storetest.Key("gone")) }},
		{Name: "Cleanup", Run: func(ctx context.Context) error { _, err := s.Locking().Cleanup(ctx, time.Now()); return err }},
		{Name: "SharedKey", Run: func(ctx context.Context) error {
			_, err := s.SharedKey(ctx, "0123456789abcdef0123456789abcdef-generated")
			return err
		}},
		{Name: "Lock", Run: func(ctx context.Context) error {
			lease, err := s.Locking().Lock(ctx, key)
			if err == nil {
				lease.Release()
			}
			return err
		}},
	}
}

// TestFrozenDatabase: with the database hanging, every operation given a
// 1 s deadline returns an error about then, many at once included,
// without opening more connections than the pool allows, and each
// connection given up on is closed; after Resume, they work again at once.
func TestFrozenDatabase(t *testing.T) {
	for _, b := range serverBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			tg, db, mine := faultyPair(t, b)
			ops := operations(t, mine)
			warmUp(t, mine)
			storefault.Frozen(t, tg, ops)
			p := tg.Proxy
			storefault.Settle(p, poolSize)
			t.Logf("%d connections through the proxy after Resume; %d open in the pool", p.Conns(), db.Stats().OpenConnections)
			if n := p.Conns(); n > poolSize {
				t.Errorf("%d connections open through the proxy after Resume: the driver did not close those it gave up on (pool limit %d)", n, poolSize)
			}
		})
	}
}

// TestRefusedDatabase: with the database refusing connections, every
// operation fails at once, long before its deadline, and works again
// after Resume.
func TestRefusedDatabase(t *testing.T) {
	for _, b := range serverBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			tg, _, mine := faultyPair(t, b)
			ops := operations(t, mine)
			warmUp(t, mine)
			storefault.Refused(t, tg, ops)
		})
	}
}

// TestUnlockThatFailsIsDeliveredLater: a lease whose release is lost (the
// connection is reset under it) is released once the database answers
// again, instead of locking the session for the rest of the lease.
func TestUnlockThatFailsIsDeliveredLater(t *testing.T) {
	for _, b := range serverBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			tg, _, _ := faultyPair(t, b)
			key := storetest.Key("unlock")
			lease, err := tg.Mine.Lock(storefault.WithDeadline(t, storefault.Healed), key)
			if err != nil {
				t.Fatal(err)
			}
			storefault.LostUnlock(t, tg, lease, key)
		})
	}
}
