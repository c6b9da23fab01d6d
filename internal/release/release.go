// Package release delivers, in the background, the requests a store could
// not get answered and must not leave undone: the release of a lock
// lease whose unlock got no answer, and the cancellation of a lock
// attempt that got none (it may have taken the lease, or may yet when it
// reaches the server late). It is shared by dbstore and redisstore.
//
// A Queue holds such requests and, while it holds any, one goroutine
// delivers them in order, pausing after a failure with a backoff from
// 50 ms to 1 s (the server is still away), until each is delivered or has
// expired. A Lock that finds its session leased calls Flush first, so the
// first request after an outage does not wait for the background.
//
// A request that was delivered but removed nothing is kept until it
// expires, for Flush to deliver again: the lock attempt it cancels may
// reach the server after it. When a frozen server wakes up, the
// background's release, sent on a fresh connection, can run before the
// attempt held on the old one; the attempt then takes a lease that only
// a second delivery removes (a flake of dbstore's outage test, seen in
// CI, until this).
package release

import (
	"context"
	"sync"
	"time"
)

// Deliver sends one request within ctx and reports whether it removed a
// lease.
type Deliver func(ctx context.Context) (removed bool, err error)

// maxPending bounds a Queue: past it, the oldest request is dropped, and
// the lease it would have removed, if there is one, runs out by itself.
const maxPending = 1024

// Backoff between two tries while the server does not answer.
const (
	firstPause = 50 * time.Millisecond
	maxPause   = time.Second
)

// Queue is a store's queue of requests to deliver. Its zero value is not
// usable; make it with New. It is safe for concurrent use.
type Queue struct {
	timeout time.Duration    // bounds each try
	fatal   func(error) bool // an error after which nothing can be delivered (a closed client)

	mu      sync.Mutex
	pending []item
	running bool
	lastID  uint64
}

type item struct {
	id        uint64
	key       string    // the lease the request is about, for Flush
	expires   time.Time // past it, the request has no effect and is dropped
	deliver   Deliver
	delivered bool // once, removing nothing: kept for Flush only
}

// New returns a Queue whose tries each last at most timeout. fatal, if
// not nil, tells an error after which no request can be delivered any
// more (a closed client): the queue is then emptied.
func New(timeout time.Duration, fatal func(error) bool) *Queue {
	if fatal == nil {
		fatal = func(error) bool { return false }
	}
	return &Queue{timeout: timeout, fatal: fatal}
}

// Add queues a request about the lease key, useless after expires, and
// starts delivering if nobody is.
func (q *Queue) Add(key string, expires time.Time, d Deliver) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.prune(time.Now())
	if len(q.pending) == maxPending {
		q.pending = q.pending[1:]
	}
	q.lastID++
	q.pending = append(q.pending, item{id: q.lastID, key: key, expires: expires, deliver: d})
	if !q.running {
		q.running = true
		go q.run()
	}
}

// Flush delivers the requests queued about key now, within ctx, those
// delivered before included, and reports whether one removed a lease. It
// stops at the first failure, leaving the rest to the background.
func (q *Queue) Flush(ctx context.Context, key string) bool {
	q.mu.Lock()
	q.prune(time.Now())
	var mine []item
	for _, it := range q.pending {
		if it.key == key {
			mine = append(mine, it)
		}
	}
	q.mu.Unlock()
	removed := false
	for _, it := range mine {
		r, err := it.deliver(ctx)
		if err != nil {
			return removed
		}
		q.done(it.id, r)
		removed = removed || r
	}
	return removed
}

// Len returns how many requests wait to be delivered; those delivered
// once and kept for Flush do not count.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, it := range q.pending {
		if !it.delivered {
			n++
		}
	}
	return n
}

// prune drops the requests that expired by now. The caller holds q.mu.
func (q *Queue) prune(now time.Time) {
	kept := q.pending[:0]
	for _, it := range q.pending {
		if !now.After(it.expires) {
			kept = append(kept, it)
		}
	}
	clear(q.pending[len(kept):]) // no Deliver kept alive by the tail
	q.pending = kept
}

// next returns the first request not delivered yet. The caller holds q.mu.
func (q *Queue) next() (item, bool) {
	for _, it := range q.pending {
		if !it.delivered {
			return it, true
		}
	}
	return item{}, false
}

func (q *Queue) run() {
	pause := firstPause
	for {
		q.mu.Lock()
		q.prune(time.Now())
		it, ok := q.next()
		if !ok {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		removed, err := it.deliver(ctx)
		cancel()
		switch {
		case err != nil && q.fatal(err):
			q.mu.Lock()
			q.pending, q.running = nil, false
			q.mu.Unlock()
			return
		case err != nil:
			time.Sleep(pause)
			pause = min(2*pause, maxPause)
		default:
			q.done(it.id, removed)
			pause = firstPause
		}
	}
}

// done records the delivery of request id: forgotten when it removed a
// lease, kept for Flush otherwise (see the package doc). Flush and the
// background may both have delivered it.
func (q *Queue) done(id uint64, removed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, it := range q.pending {
		if it.id != id {
			continue
		}
		if removed {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
		} else {
			q.pending[i].delivered = true
		}
		return
	}
}
