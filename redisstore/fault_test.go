package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/internal/storefault"
	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// faultyPair returns a store whose client goes through a fault proxy, as
// this process, and one on the same keys with a direct client, as another
// process: as a storefault.Target, with this process's store and client.
// The proxied client has the options the README recommends.
func faultyPair(t *testing.T) (storefault.Target, *redisstore.Store, *redis.Client) {
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
	return storefault.Target{
		Proxy:    p,
		Server:   "Redis",
		Mine:     mine.Locking(),
		Other:    other.Locking(),
		Conns:    func() int { return int(proxied.PoolStats().TotalConns) },
		PoolSize: poolSize,
		Idle:     1, // the pool's one connection, which warmUp opened
		// Redis expires keys itself: Cleanup has nothing to ask it.
		MayPass: func(name string) bool { return name == "Cleanup" },
	}, mine, proxied
}

// poolSize is the proxied client's pool limit.
const poolSize = 4

// recommended returns the client options the README recommends, with a
// small pool to see a pile-up sooner.
func recommended(addr string) *redis.Options {
	return &redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: poolSize}
}

// TestLockDuringAHangLeavesNoLease is issue 13's orphaned lease: a lock
// request sent while Redis hangs is delivered after it is back, and must
// not take a lease nobody holds. Another instance gets the lock at once,
// and so does this one.
func TestLockDuringAHangLeavesNoLease(t *testing.T) {
	tg, _, client := faultyPair(t)
	warmUp(t, client)
	storefault.Hang(t, tg, storetest.Key("hang"))
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

// operations returns every operation of s: Load, Save in both modes,
// Touch, Delete, Cleanup, SharedKey and Lock, on a session saved before.
func operations(t *testing.T, s *redisstore.Store) []storefault.Op {
	t.Helper()
	ctx := context.Background()
	key := storetest.Key("ops")
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
		{Name: "Cleanup", Run: func(ctx context.Context) error { _, err := s.Cleanup(ctx, time.Now()); return err }},
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

// TestFrozenRedis: with Redis hanging, every operation given a 1 s
// deadline returns an error about then, many at once included, without
// piling up connections; after Resume, they work again at once.
func TestFrozenRedis(t *testing.T) {
	tg, mine, client := faultyPair(t)
	ops := operations(t, mine)
	warmUp(t, client)
	storefault.Frozen(t, tg, ops)
	// go-redis v9.22 leaves open the sockets of connections whose
	// handshake timed out (go-redis issue #3982, fixed in v9.23.0, which
	// needs Go 1.26) until the garbage collector finalizes them: so the
	// sockets are bounded after a collection, and the pool always.
	p := tg.Proxy
	storefault.Settle(p, tg.Idle)
	before := p.Conns()
	runtime.GC()
	storefault.Settle(p, tg.Idle)
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
	tg, mine, client := faultyPair(t)
	ops := operations(t, mine)
	warmUp(t, client)
	storefault.Refused(t, tg, ops)
}

// TestUnlockThatFailsIsDeliveredLater: a lease whose unlock is lost (the
// connection is reset under it) is released once Redis answers again,
// instead of locking the session for the rest of the lease.
func TestUnlockThatFailsIsDeliveredLater(t *testing.T) {
	tg, _, client := faultyPair(t)
	key := storetest.Key("unlock")
	lease, err := tg.Mine.Lock(storefault.WithDeadline(t, storefault.Healed), key)
	if err != nil {
		t.Fatal(err)
	}
	warmUp(t, client)
	storefault.LostUnlock(t, tg, lease, key)
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
	_, _, _, err = s.Load(storefault.WithDeadline(t, storefault.Deadline), storetest.Key("x"))
	d := time.Since(start)
	t.Logf("Load with the default options, Redis frozen, deadline %v: %v after %v", storefault.Deadline, err, d.Round(time.Millisecond))
	var ne interface{ Timeout() bool }
	if err == nil || !errors.As(err, &ne) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Load = %v; want a timeout", err)
	}
	if d < storefault.Deadline+storefault.Margin {
		t.Logf("go-redis now honours the deadline without ContextTimeoutEnabled: %s", fmt.Sprint(d))
	}
}
