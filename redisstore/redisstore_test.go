package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/internal/counttest"
	"github.com/gowebpy/web/internal/servicetest"
	"github.com/gowebpy/web/redisstore"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/session/storetest"
)

// skips counts the tests skipped because TEST_REDIS_ADDR, the address of
// the Redis server the tests use, is unset; TestMain reports them.
var skips servicetest.Skips

func TestMain(m *testing.M) { os.Exit(skips.Main(m, "redisstore")) }

const testKey = "0123456789abcdef0123456789abcdef-redis-tests"

// newStore returns a store under a prefix no other test uses, and removes
// its keys when the test ends.
func newStore(t testing.TB, opts ...redisstore.Option) (*redisstore.Store, *redis.Client) {
	t.Helper()
	addr := skips.Need(t, servicetest.Redis)
	client := redis.NewClient(&redis.Options{Addr: addr})
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at %s: %v", addr, err)
	}
	var raw [6]byte
	rand.Read(raw[:])
	prefix := "test:" + hex.EncodeToString(raw[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(ctx, keys...)
		}
		client.Close()
	})
	s, err := redisstore.New(client, append([]redisstore.Option{redisstore.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s, client
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store { s, _ := newStore(t); return s })
}

func TestConformanceLocking(t *testing.T) {
	storetest.Run(t, func(t *testing.T) session.Store { s, _ := newStore(t); return s.Locking() })
}

func TestReadableAndExpiring(t *testing.T) {
	s, client := newStore(t)
	ctx := context.Background()
	key := storetest.Key("x")
	data := []byte(`{"values":{"count":3}}`)
	if err := s.Save(ctx, key, data, time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	keys, _ := client.Keys(ctx, "*"+key).Result()
	if len(keys) != 1 {
		t.Fatalf("keys = %v", keys)
	}
	if got, _ := client.Get(ctx, keys[0]).Result(); got != string(data) {
		t.Errorf("GET = %q; want the session's JSON", got)
	}
	if ttl, _ := client.PTTL(ctx, keys[0]).Result(); ttl < 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL = %v; want the deadline", ttl)
	}
}

// newCounter is one instance of the count app on the shared store.
func newCounter(t *testing.T, store session.Store, delay time.Duration) http.Handler {
	t.Helper()
	cfg := session.Config{SecretKeys: []string{testKey}, LockTimeout: time.Minute}
	return counttest.App(t, store, cfg, func() { time.Sleep(delay) }) // widen the window between read and write
}

func get(h http.Handler, cookie string) (int, string, string) {
	r := httptest.NewRequest("GET", "/count", nil)
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, ck := range w.Result().Cookies() {
		cookie = ck.Name + "=" + ck.Value
	}
	return w.Code, w.Body.String(), cookie
}

// lostUpdates runs 2 instances × 10 workers × 5 /count requests on one
// cookie and returns how many increments were lost.
func lostUpdates(t *testing.T, store session.Store) int {
	one, two := newCounter(t, store, time.Millisecond), newCounter(t, store, time.Millisecond)
	_, _, cookie := get(one, "")
	var ok atomic.Int64
	ok.Add(1)
	var wg sync.WaitGroup
	for w := range 20 {
		h := one
		if w%2 == 1 {
			h = two
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if code, _, _ := get(h, cookie); code == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	_, body, _ := get(one, cookie)
	var final int
	fmt.Sscan(body, &final)
	return int(ok.Load()) - (final - 1)
}

// Two instances (two Managers, each with its own in-process locks, as two
// processes have) sharing one Redis.
func TestLostUpdatesAcrossInstances(t *testing.T) {
	s, _ := newStore(t)
	without := lostUpdates(t, s)
	t.Logf("lost updates without Locking: %d of 101", without)
	s2, _ := newStore(t)
	if with := lostUpdates(t, s2.Locking()); with != 0 {
		t.Fatalf("lost updates with Locking: %d; want 0", with)
	}
}

func TestLeaseOfADeadHolderExpires(t *testing.T) {
	s, client := newStore(t)
	l := s.Locking()
	ctx := context.Background()
	key := storetest.Key("l")
	// A holder that died left its lease behind; nobody renews it.
	if err := s.Save(ctx, key, []byte(`{}`), time.Now().Add(time.Hour), session.Create); err != nil {
		t.Fatal(err)
	}
	leaseKey := redisstore.LeaseKey(s, key)
	client.Set(ctx, leaseKey, "dead-holder", 300*time.Millisecond)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := l.Lock(short, key); !errors.Is(err, session.ErrLockTimeout) {
		t.Fatalf("Lock of a lease still running = %v; want an error wrapping ErrLockTimeout", err)
	}
	lease, err := l.Lock(ctx, key) // waits for the dead holder's lease to run out
	if err != nil {
		t.Fatal(err)
	}
	lease.Release()
	if n, _ := client.Exists(ctx, leaseKey).Result(); n != 0 {
		t.Error("unlock left the lease behind")
	}
}

func TestInstancesShareTheGeneratedKey(t *testing.T) {
	t.Setenv(session.EnvSecretKey, "")
	t.Chdir(t.TempDir())
	s, _ := newStore(t)
	mk := func() http.Handler {
		m, err := session.New(s, session.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sess := session.FromContext(r.Context())
			sess.Set("count", sess.Int("count")+1)
			fmt.Fprint(w, sess.Int("count"))
		}))
	}
	one, two := mk(), mk()
	_, _, cookie := get(one, "")
	if code, body, _ := get(two, cookie); code != 200 || body != "2" {
		t.Fatalf("the second instance answered %d %s; want 2", code, body)
	}
	if _, err := os.Stat("session.key"); err == nil {
		t.Error("a key file was written although the store keeps the key")
	}
}

func TestServerDownAnswers503(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer client.Close()
	s, _ := redisstore.New(client)
	h := newCounter(t, s, 0)
	if code, _, _ := get(h, ""); code != 503 {
		t.Fatalf("status %d with Redis down; want 503", code)
	}
}

func BenchmarkCount(b *testing.B) {
	s, _ := newStore(b)
	m, err := session.New(s, session.Config{SecretKeys: []string{testKey}})
	if err != nil {
		b.Fatal(err)
	}
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := session.FromContext(r.Context())
		sess.Set("count", sess.Int("count")+1)
	}))
	_, _, cookie := get(h, "")
	b.ReportAllocs()
	for b.Loop() {
		if code, _, _ := get(h, cookie); code != 200 {
			b.Fatal(code)
		}
	}
}
