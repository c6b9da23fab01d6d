// Package storefault drives a session store's operations through faults
// made with a fault proxy (internal/faultproxy) and checks what issue 13
// asks of them, the same way for every store with a server:
//
//   - with the server frozen, each operation given Deadline returns an
//     error within Deadline and Margin, many at once too, and the
//     client's pool stays within its limit (Frozen);
//   - with the server refusing, each fails fast, long before its
//     deadline (Refused);
//   - after Resume, each works again within Healed (both);
//   - a lock request sent during a hang, and delivered after it, leaves
//     no lease behind (Hang);
//   - an unlock lost to a reset connection is delivered once the server
//     answers again (LostUnlock).
//
// A store's test builds a Target over a client that goes through the
// proxy, lists its operations, opens the client's connections before the
// fault (requests then go out on them, as in a process that has been
// serving for a while), and calls a scenario. What is the store's own,
// such as what its client leaves open after Resume, its test checks
// itself. internal/outagetest checks the same outages one level up,
// through a session.Manager.
package storefault

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/internal/faultproxy"
	"github.com/gowebpy/web/session"
)

// Bounds: generous, for a busy machine. They tell an operation that gives
// up at its deadline from one that hangs, and a store that heals from one
// that stays broken; they time nothing.
const (
	// Deadline is the deadline each operation is given during a freeze.
	Deadline = time.Second
	// Margin is how late after its deadline an operation may return, and
	// how long a refused one may take to fail.
	Margin = 2 * time.Second
	// Healed is how soon after Resume things must work.
	Healed = 3 * time.Second
)

// refusedDeadline is the deadline of an operation while the server
// refuses: long, so that one that waits for it instead of failing fast
// is seen.
const refusedDeadline = 30 * time.Second

// Op is one store operation under test.
type Op struct {
	// Name names it in messages, and to Target.MayPass.
	Name string
	// Run does it once, within ctx.
	Run func(ctx context.Context) error
}

// Target is a store under test: a client that goes through a fault proxy,
// as this process, and one that does not, as another process.
type Target struct {
	// Proxy stands between this process's client and the server.
	Proxy *faultproxy.Proxy
	// Server names the server in messages: "the database", "Redis".
	Server string
	// Mine locks through the proxy, and Other locks the same keys
	// directly.
	Mine, Other session.Locker
	// Conns returns how many connections the client's pool holds now,
	// and PoolSize is its limit.
	Conns    func() int
	PoolSize int
	// Idle is how many connections through the proxy the client keeps
	// open when it has nothing to do: Hang waits for the others to close
	// after Resume (see Settle).
	Idle int
	// MayPass says that the operation of that name may succeed during a
	// fault, because it need not reach the server (Redis expires keys
	// itself: its Cleanup has nothing to do). Nil: none may.
	MayPass func(name string) bool
}

// mayPass reports whether the operation name may succeed during a fault.
func (tg Target) mayPass(name string) bool {
	return tg.MayPass != nil && tg.MayPass(name)
}

// WithDeadline returns a context that ends after d, cancelled when t ends.
func WithDeadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Settle waits, for up to Healed, until the connections a client gave up
// on are closed through p (the server ran what the proxy held, then saw
// them end), so that a lease they would take is there to see: until no
// more than keep are open, or their number stops moving.
func Settle(p *faultproxy.Proxy, keep int) {
	end := time.Now().Add(Healed)
	for n := p.Conns(); time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
		m := p.Conns()
		if m <= keep || m == n {
			return
		}
		n = m
	}
}

// Frozen freezes the server and wants each of ops, given Deadline, to fail
// within Deadline and Margin, one at a time and then 5 × PoolSize at once,
// with the pool within its limit meanwhile; then it resumes the server
// and wants each to work within Healed. It returns after Resume, for the
// store's test to check what its client left open.
func Frozen(t *testing.T, tg Target, ops []Op) {
	t.Helper()
	tg.Proxy.Freeze()
	for _, o := range ops {
		start := time.Now()
		err := o.Run(WithDeadline(t, Deadline))
		d := time.Since(start)
		t.Logf("%-12s frozen: %v after %v", o.Name, err, d.Round(time.Millisecond))
		if err == nil && !tg.mayPass(o.Name) {
			t.Errorf("%s succeeded with %s frozen", o.Name, tg.Server)
		}
		if d > Deadline+Margin {
			t.Errorf("%s returned %v after it was called; its deadline was %v", o.Name, d, Deadline)
		}
	}
	tg.pileUp(t, ops)
	tg.Proxy.Resume()
	works(t, ops)
}

// pileUp runs 5 × PoolSize of ops at once with the server frozen: those
// without a connection wait for one of the pool, and all must give up at
// their deadline, without the pool growing past its limit.
func (tg Target) pileUp(t *testing.T, ops []Op) {
	t.Helper()
	n := 5 * tg.PoolSize
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	conns := 0
	sample := func() {
		c := tg.Conns()
		mu.Lock()
		conns = max(conns, c)
		mu.Unlock()
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the pool's size while they wait
		defer close(sampled)
		for {
			sample()
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			ops[i%len(ops)].Run(WithDeadline(t, Deadline))
			took := time.Since(start)
			sample() // and as each returns, which a sample may miss
			mu.Lock()
			slowest = max(slowest, took)
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("%d operations at once: the slowest returned after %v; at most %d connections in the pool, %d through the proxy",
		n, slowest.Round(time.Millisecond), conns, tg.Proxy.Conns())
	if slowest > Deadline+Margin {
		t.Errorf("an operation of many at once returned after %v; its deadline was %v", slowest, Deadline)
	}
	if conns > tg.PoolSize {
		t.Errorf("%d connections in the pool; its limit is %d", conns, tg.PoolSize)
	}
}

// Refused has the server refuse connections and wants each of ops to fail
// within Margin, although its deadline is far later; then it resumes the
// server and wants each to work within Healed.
func Refused(t *testing.T, tg Target, ops []Op) {
	t.Helper()
	tg.Proxy.Refuse()
	for _, o := range ops {
		start := time.Now()
		err := o.Run(WithDeadline(t, refusedDeadline))
		d := time.Since(start)
		t.Logf("%-12s refused: %v after %v", o.Name, err, d.Round(time.Millisecond))
		if err == nil && !tg.mayPass(o.Name) {
			t.Errorf("%s succeeded with %s refusing", o.Name, tg.Server)
		}
		if d > Margin {
			t.Errorf("%s took %v to fail with %s refusing; want it to fail fast", o.Name, d, tg.Server)
		}
	}
	tg.Proxy.Resume()
	works(t, ops)
}

// works wants each of ops to succeed within Healed, the server back.
func works(t *testing.T, ops []Op) {
	t.Helper()
	start := time.Now()
	for _, o := range ops {
		if err := o.Run(WithDeadline(t, Healed)); err != nil {
			t.Errorf("%s after Resume: %v", o.Name, err)
		}
	}
	t.Logf("every operation worked again %v after Resume", time.Since(start).Round(time.Millisecond))
}

// Hang is issue 13's orphaned lease: it freezes the server and wants
// Mine's Lock of key, given Deadline, to fail within Deadline and Margin
// with an error that is no lock timeout (the store did not answer; nobody
// holds the lock). The lock request then reaches the server after Resume,
// and must not take a lease nobody holds: Other, and then Mine, must get
// the lock within Healed.
func Hang(t *testing.T, tg Target, key string) {
	t.Helper()
	tg.Proxy.Freeze()
	start := time.Now()
	if lease, err := tg.Mine.Lock(WithDeadline(t, Deadline), key); err == nil {
		lease.Release()
		t.Fatalf("Lock succeeded with %s frozen", tg.Server)
	} else if errors.Is(err, session.ErrLockTimeout) {
		t.Errorf("Lock with %s frozen = %v; a store that does not answer is no lock timeout", tg.Server, err)
	}
	if d := time.Since(start); d > Deadline+Margin {
		t.Errorf("Lock with %s frozen returned after %v; its deadline was %v", tg.Server, d, Deadline)
	}
	tg.Proxy.Resume() // the frozen request reaches the server now
	Settle(tg.Proxy, tg.Idle)

	start = time.Now()
	lease, err := tg.Other.Lock(WithDeadline(t, Healed), key)
	if err != nil {
		t.Fatalf("another process's Lock after %s came back: %v (a lease was left behind)", tg.Server, err)
	}
	t.Logf("another process took the lock %v after Resume", time.Since(start).Round(time.Millisecond))
	lease.Release()
	start = time.Now()
	if lease, err = tg.Mine.Lock(WithDeadline(t, Healed), key); err != nil {
		t.Fatalf("this process's Lock after %s came back: %v", tg.Server, err)
	}
	t.Logf("this process took it %v after", time.Since(start).Round(time.Millisecond))
	lease.Release()
}

// LostUnlock has the server refuse connections, releases lease, which
// Mine holds on key, and wants the release to give up within a second and
// Margin (the lease stays, for now); after Resume, Other must get the
// lock within Healed: the lost unlock was delivered, instead of the
// session staying locked for the rest of the lease.
func LostUnlock(t *testing.T, tg Target, lease session.Lease, key string) {
	t.Helper()
	tg.Proxy.Refuse()
	start := time.Now()
	lease.Release() // fails: the lease stays, for now
	if d := time.Since(start); d > time.Second+Margin {
		t.Errorf("an unlock with %s refusing took %v", tg.Server, d)
	}
	tg.Proxy.Resume()
	start = time.Now()
	next, err := tg.Other.Lock(WithDeadline(t, Healed), key)
	if err != nil {
		t.Fatalf("another process's Lock after %s came back: %v (the lease was not released)", tg.Server, err)
	}
	next.Release()
	t.Logf("the lease was released, and taken by another process, %v after Resume", time.Since(start).Round(time.Millisecond))
}
