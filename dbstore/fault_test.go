package dbstore_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/gowebpy/web/dbstore"
	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// Bounds of the fault tests: generous, for a busy machine. They tell an
// operation that gives up at its deadline from one that hangs, and a
// store that heals from one that stays broken; they time nothing.
const (
	opDeadline = time.Second     // the deadline each operation is given
	margin     = 2 * time.Second // how late after it an operation may return
	healed     = 3 * time.Second // how soon after Resume things must work
	poolSize   = 4               // the proxied pool's MaxOpenConns
)

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
// direct pool, as another process.
func faultyPair(t *testing.T, b backend) (*faultproxy.Proxy, *sql.DB, *dbstore.Store, *dbstore.Store) {
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
	return p, db, mine, other
}

func withDeadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// warmUp runs every statement of the lock once, so that the pool holds a
// connection with them prepared: requests then go out on it during a
// fault (a connection dialled during a hang gets no further than its
// handshake, and a statement not yet prepared no further than that).
func warmUp(t *testing.T, s *dbstore.Store) {
	t.Helper()
	lease, err := s.Locking().Lock(withDeadline(t, healed), storetest.Key("warm"))
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
}

// settle waits until the connections the client gave up on are closed
// through the proxy (the server ran what was held, then saw them end),
// or their number stops moving.
func settle(p *faultproxy.Proxy, keep int) {
	end := time.Now().Add(healed)
	for n := p.Conns(); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		m := p.Conns()
		if m <= keep || m == n {
			return
		}
		n = m
	}
}

// TestLockDuringAHangLeavesNoLease is issue 13's orphaned lease on a
// database: a lock statement sent while the database hangs runs after it
// is back, and must not hold a lease nobody holds for long. Another
// process gets the lock at once, and so does this one.
func TestLockDuringAHangLeavesNoLease(t *testing.T) {
	for _, b := range serverBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			p, _, mine, other := faultyPair(t, b)
			warmUp(t, mine)
			key := storetest.Key("hang")
			p.Freeze()
			start := time.Now()
			if lease, err := mine.Locking().Lock(withDeadline(t, opDeadline), key); err == nil {
				lease.Release()
				t.Fatal("Lock succeeded with the database frozen")
			} else if errors.Is(err, session.ErrLockTimeout) {
				t.Errorf("Lock with the database frozen = %v; a store that does not answer is no lock timeout", err)
			}
			if d := time.Since(start); d > opDeadline+margin {
				t.Errorf("Lock with the database frozen returned after %v; its deadline was %v", d, opDeadline)
			}
			p.Resume() // the frozen statement reaches the database now
			settle(p, poolSize)

			start = time.Now()
			lease, err := other.Locking().Lock(withDeadline(t, healed), key)
			if err != nil {
				t.Fatalf("another process's Lock after the database came back: %v (a lease was left behind)", err)
			}
			t.Logf("another process took the lock %v after Resume", time.Since(start).Round(time.Millisecond))
			lease.Release()
			start = time.Now()
			if lease, err = mine.Locking().Lock(withDeadline(t, healed), key); err != nil {
				t.Fatalf("this process's Lock after the database came back: %v", err)
			}
			t.Logf("this process took it %v after", time.Since(start).Round(time.Millisecond))
			lease.Release()
		})
	}
}

// op is one store operation under test.
type op struct {
	name string
	run  func(ctx context.Context) error
}

// operations returns every operation of s: Load, Save in both modes,
// Touch, Delete, Cleanup, SharedKey and Lock, on a session saved before.
func operations(t *testing.T, s *dbstore.Store) []op {
	t.Helper()
	key := storetest.Key("ops")
	if err := s.Save(withDeadline(t, healed), key, []byte(`{"values":{"n":1}}`), time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	hour := func() time.Time { return time.Now().Add(time.Hour) }
	return []op{
		{"Load", func(ctx context.Context) error { _, _, _, err := s.Load(ctx, key); return err }},
		{"Save(Create)", func(ctx context.Context) error {
			return s.Save(ctx, storetest.Key("new"), []byte(`{}`), hour(), session.Create)
		}},
		{"Save(Update)", func(ctx context.Context) error {
			return s.Save(ctx, key, []byte(`{"values":{"n":2}}`), hour(), session.Update)
		}},
		{"Touch", func(ctx context.Context) error { return s.Touch(ctx, key, hour()) }},
		{"Delete", func(ctx context.Context) error { return s.Delete(ctx, storetest.Key("gone")) }},
		{"Cleanup", func(ctx context.Context) error { _, err := s.Locking().Cleanup(ctx, time.Now()); return err }},
		{"SharedKey", func(ctx context.Context) error {
			_, err := s.SharedKey(ctx, "0123456789abcdef0123456789abcdef-generated")
			return err
		}},
		{"Lock", func(ctx context.Context) error {
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
			p, db, mine, _ := faultyPair(t, b)
			ops := operations(t, mine)
			warmUp(t, mine)
			p.Freeze()
			for _, o := range ops {
				start := time.Now()
				err := o.run(withDeadline(t, opDeadline))
				d := time.Since(start)
				t.Logf("%-12s frozen: %v after %v", o.name, err, d.Round(time.Millisecond))
				if err == nil {
					t.Errorf("%s succeeded with the database frozen", o.name)
				}
				if d > opDeadline+margin {
					t.Errorf("%s returned %v after it was called; its deadline was %v", o.name, d, opDeadline)
				}
			}

			// Many at once: those without a connection wait for one of the
			// pool, and all give up at their deadline.
			var wg sync.WaitGroup
			var mu sync.Mutex
			var slowest time.Duration
			maxOpen := 0
			stop := make(chan struct{})
			go func() { // the pool's size while they wait
				for {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
					mu.Lock()
					maxOpen = max(maxOpen, db.Stats().OpenConnections)
					mu.Unlock()
				}
			}()
			for i := range 5 * poolSize {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start := time.Now()
					ops[i%len(ops)].run(withDeadline(t, opDeadline))
					mu.Lock()
					slowest = max(slowest, time.Since(start))
					mu.Unlock()
				}()
			}
			wg.Wait()
			close(stop)
			t.Logf("%d operations at once: the slowest returned after %v; at most %d open connections, %d through the proxy",
				5*poolSize, slowest.Round(time.Millisecond), maxOpen, p.Conns())
			if slowest > opDeadline+margin {
				t.Errorf("an operation of many at once returned after %v; its deadline was %v", slowest, opDeadline)
			}
			if maxOpen > poolSize {
				t.Errorf("%d open connections; the pool's limit is %d", maxOpen, poolSize)
			}

			p.Resume()
			start := time.Now()
			for _, o := range ops {
				if err := o.run(withDeadline(t, healed)); err != nil {
					t.Errorf("%s after Resume: %v", o.name, err)
				}
			}
			t.Logf("every operation worked again %v after Resume", time.Since(start).Round(time.Millisecond))
			settle(p, poolSize)
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
			p, _, mine, _ := faultyPair(t, b)
			ops := operations(t, mine)
			warmUp(t, mine)
			p.Refuse()
			const long = 30 * time.Second // the deadline a failing operation must not wait for
			for _, o := range ops {
				start := time.Now()
				err := o.run(withDeadline(t, long))
				d := time.Since(start)
				t.Logf("%-12s refused: %v after %v", o.name, err, d.Round(time.Millisecond))
				if err == nil {
					t.Errorf("%s succeeded with the database refusing", o.name)
				}
				if d > margin {
					t.Errorf("%s took %v to fail with the database refusing; want it to fail fast", o.name, d)
				}
			}
			p.Resume()
			for _, o := range ops {
				if err := o.run(withDeadline(t, healed)); err != nil {
					t.Errorf("%s after Resume: %v", o.name, err)
				}
			}
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
			p, _, mine, other := faultyPair(t, b)
			key := storetest.Key("unlock")
			lease, err := mine.Locking().Lock(withDeadline(t, healed), key)
			if err != nil {
				t.Fatal(err)
			}
			p.Refuse()
			start := time.Now()
			lease.Release() // fails: the lease stays, for now
			if d := time.Since(start); d > time.Second+margin {
				t.Errorf("an unlock with the database refusing took %v", d)
			}
			p.Resume()
			start = time.Now()
			next, err := other.Locking().Lock(withDeadline(t, healed), key)
			if err != nil {
				t.Fatalf("another process's Lock after the database came back: %v (the lease was not released)", err)
			}
			next.Release()
			t.Logf("the lease was released, and taken by another process, %v after Resume", time.Since(start).Round(time.Millisecond))
		})
	}
}
