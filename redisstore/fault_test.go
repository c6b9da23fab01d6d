package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/redisstore"
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
)

// faultyPair returns a store whose client goes through a fault proxy, as
// this process, and one on the same keys with a direct client, as another
// process. The proxied client has the options the README recommends.
func faultyPair(t *testing.T) (*faultproxy.Proxy, *redisstore.Store, *redis.Client, *redisstore.Store) {
	t.Helper()
	addr := skips.Need(t, servicetest.Redis)
	p, err := faultproxy.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var raw [6]byte
	rand.Read(raw[:])
	prefix := "test:" + hex.EncodeToString(raw[:]) + ":"
	direct := redis.NewClient(&redis.Options{Addr: addr})
	proxied := redis.NewClient(recommended(p.Addr()))
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := direct.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			direct.Del(ctx, keys...)
		}
		direct.Close()
		proxied.Close()
	})
	mine, err := redisstore.New(proxied, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	other, err := redisstore.New(direct, redisstore.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	return p, mine, proxied, other
}

// poolSize is the proxied client's pool limit.
const poolSize = 4

// recommended returns the client options the README recommends, with a
// small pool to see a pile-up sooner.
func recommended(addr string) *redis.Options {
	return &redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: poolSize}
}

func withDeadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestLockDuringAHangLeavesNoLease is issue 13's orphaned lease: a lock
// request sent while Redis hangs is delivered after it is back, and must
// not take a lease nobody holds. Another instance gets the lock at once,
// and so does this one.
func TestLockDuringAHangLeavesNoLease(t *testing.T) {
	p, mine, client, other := faultyPair(t)
	key := storetest.Key("hang")
	warmUp(t, client)
	p.Freeze()
	start := time.Now()
	if lease, err := mine.Locking().Lock(withDeadline(t, opDeadline), key); err == nil {
		lease.Release()
		t.Fatal("Lock succeeded with Redis frozen")
	} else if errors.Is(err, session.ErrLockTimeout) {
		t.Errorf("Lock with Redis frozen = %v; a store that does not answer is no lock timeout", err)
	}
	if d := time.Since(start); d > opDeadline+margin {
		t.Errorf("Lock with Redis frozen returned after %v; want about its deadline, %v", d, opDeadline)
	}
	p.Resume() // the frozen request reaches Redis now
	settle(t, p)

	start = time.Now()
	lease, err := other.Locking().Lock(withDeadline(t, healed), key)
	if err != nil {
		t.Fatalf("another instance's Lock after Redis came back: %v (a lease was left behind)", err)
	}
	t.Logf("another instance took the lock %v after Resume", time.Since(start))
	lease.Release()
	start = time.Now()
	lease, err = mine.Locking().Lock(withDeadline(t, healed), key)
	if err != nil {
		t.Fatalf("this instance's Lock after Redis came back: %v", err)
	}
	t.Logf("this instance took it %v after", time.Since(start))
	lease.Release()
}

// warmUp opens the client's connections before a fault, so that requests
// go out on them (a request sent on a connection of the pool during a
// hang is delivered when it ends; one that needs a new connection does
// not get past the handshake).
func warmUp(t *testing.T, c *redis.Client) {
	t.Helper()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

// settle waits until Redis has run what the proxy held and closed the
// connections the client gave up on, so that a lease they would take is
// there to see.
func settle(t *testing.T, p *faultproxy.Proxy) {
	t.Helper()
	end := time.Now().Add(healed)
	for n := p.Conns(); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		m := p.Conns()
		if m <= 1 || m == n { // down to the pool's one, or no longer moving
			return
		}
		n = m
	}
}

// op is one store operation under test.
type op struct {
	name string
	run  func(ctx context.Context) error
}

// operations returns every operation of s: Load, Save in both modes,
// Touch, Delete, Cleanup, SharedKey and Lock, on a session saved before.
func operations(t *testing.T, s *redisstore.Store) []op {
	t.Helper()
	ctx := context.Background()
	key := storetest.Key("ops")
	if err := s.Save(ctx, key, []byte(`{"values":{"n":1}}`), time.Now().Add(time.Hour), session.Create); err != nil {
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
		{"Cleanup", func(ctx context.Context) error { _, err := s.Cleanup(ctx, time.Now()); return err }},
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

// TestFrozenRedis: with Redis hanging, every operation given a 1 s
// deadline returns an error about then, many at once included, without
// piling up connections; after Resume, they work again at once.
func TestFrozenRedis(t *testing.T) {
	p, mine, client, _ := faultyPair(t)
	ops := operations(t, mine)
	warmUp(t, client)
	p.Freeze()
	for _, o := range ops {
		start := time.Now()
		err := o.run(withDeadline(t, opDeadline))
		d := time.Since(start)
		t.Logf("%-12s frozen: %v after %v", o.name, err, d.Round(time.Millisecond))
		if err == nil && o.name != "Cleanup" { // Redis expires keys itself: nothing to wait for
			t.Errorf("%s succeeded with Redis frozen", o.name)
		}
		if d > opDeadline+margin {
			t.Errorf("%s returned %v after it was called; its deadline was %v", o.name, d, opDeadline)
		}
	}

	// Many at once: those without a connection wait for one in the pool,
	// and all give up at their deadline.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	maxConns := uint32(0)
	for i := range 5 * poolSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := ops[i%len(ops)]
			start := time.Now()
			o.run(withDeadline(t, opDeadline))
			mu.Lock()
			slowest = max(slowest, time.Since(start))
			maxConns = max(maxConns, client.PoolStats().TotalConns)
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("%d operations at once: the slowest returned after %v; at most %d pooled connections, %d through the proxy",
		5*poolSize, slowest.Round(time.Millisecond), maxConns, p.Conns())
	if slowest > opDeadline+margin {
		t.Errorf("an operation of many at once returned after %v; its deadline was %v", slowest, opDeadline)
	}
	if maxConns > poolSize {
		t.Errorf("%d pooled connections; the pool's limit is %d", maxConns, poolSize)
	}

	p.Resume()
	start := time.Now()
	for _, o := range ops {
		if err := o.run(withDeadline(t, healed)); err != nil {
			t.Errorf("%s after Resume: %v", o.name, err)
		}
	}
	t.Logf("every operation worked again %v after Resume", time.Since(start).Round(time.Millisecond))
	// go-redis v9.22 leaves open the sockets of connections whose
	// handshake timed out (go-redis issue #3982, fixed in v9.23.0, which
	// needs Go 1.26) until the garbage collector finalizes them: so the
	// sockets are bounded after a collection, and the pool always.
	settle(t, p)
	before := p.Conns()
	runtime.GC()
	settle(t, p)
	t.Logf("connections through the proxy after Resume: %d, then %d after a garbage collection; the pool holds %d",
		before, p.Conns(), client.PoolStats().TotalConns)
	if n := p.Conns(); n > poolSize {
		t.Errorf("%d connections open through the proxy after Resume and a collection; the pool's limit is %d", n, poolSize)
	}
}

// TestRefusedRedis: with Redis refusing connections, every operation
// fails at once with an error, long before its deadline, and works again
// after Resume.
func TestRefusedRedis(t *testing.T) {
	p, mine, client, _ := faultyPair(t)
	ops := operations(t, mine)
	warmUp(t, client)
	p.Refuse()
	const long = 30 * time.Second // the deadline a failing operation must not wait for
	for _, o := range ops {
		start := time.Now()
		err := o.run(withDeadline(t, long))
		d := time.Since(start)
		t.Logf("%-12s refused: %v after %v", o.name, err, d.Round(time.Millisecond))
		if err == nil && o.name != "Cleanup" {
			t.Errorf("%s succeeded with Redis refusing", o.name)
		}
		if d > margin {
			t.Errorf("%s took %v to fail with Redis refusing; want it to fail fast", o.name, d)
		}
	}
	p.Resume()
	for _, o := range ops {
		if err := o.run(withDeadline(t, healed)); err != nil {
			t.Errorf("%s after Resume: %v", o.name, err)
		}
	}
}

// TestUnlockThatFailsIsDeliveredLater: a lease whose unlock is lost (the
// connection is reset under it) is released once Redis answers again,
// instead of locking the session for the rest of the lease.
func TestUnlockThatFailsIsDeliveredLater(t *testing.T) {
	p, mine, client, other := faultyPair(t)
	key := storetest.Key("unlock")
	lease, err := mine.Locking().Lock(withDeadline(t, healed), key)
	if err != nil {
		t.Fatal(err)
	}
	warmUp(t, client)
	p.Refuse()
	start := time.Now()
	lease.Release() // fails: the lease stays, for now
	if d := time.Since(start); d > time.Second+margin {
		t.Errorf("an unlock with Redis refusing took %v", d)
	}
	p.Resume()
	start = time.Now()
	next, err := other.Locking().Lock(withDeadline(t, healed), key)
	if err != nil {
		t.Fatalf("another instance's Lock after Redis came back: %v (the lease was not released)", err)
	}
	next.Release()
	t.Logf("the lease was released, and taken by another instance, %v after Resume", time.Since(start).Round(time.Millisecond))
}

// TestDefaultClientIgnoresTheDeadline documents why the README asks for
// ContextTimeoutEnabled: without it, go-redis bounds a request by its
// ReadTimeout (5 s by default) and not by the context, so a hung Redis
// holds each request that long.
func TestDefaultClientIgnoresTheDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for go-redis's ReadTimeout")
	}
	addr := skips.Need(t, servicetest.Redis)
	p, err := faultproxy.New(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	client := redis.NewClient(&redis.Options{Addr: p.Addr()})
	t.Cleanup(func() { client.Close() })
	s, err := redisstore.New(client)
	if err != nil {
		t.Fatal(err)
	}
	warmUp(t, client)
	p.Freeze()
	defer p.Resume()
	start := time.Now()
	_, _, _, err = s.Load(withDeadline(t, opDeadline), storetest.Key("x"))
	d := time.Since(start)
	t.Logf("Load with the default options, Redis frozen, deadline %v: %v after %v", opDeadline, err, d.Round(time.Millisecond))
	var ne interface{ Timeout() bool }
	if err == nil || !errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Load = %v; want a timeout", err)
	}
	if d < opDeadline+margin {
		t.Logf("go-redis now honours the deadline without ContextTimeoutEnabled: %s", fmt.Sprint(d))
	}
}
