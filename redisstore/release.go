package redisstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// maxPending bounds the cancellations a store keeps to deliver: past it,
// the oldest is dropped, and a lease it would have removed (if its attempt
// took one) runs out by itself.
const maxPending = 1024

// releaser delivers the cancellations of lock attempts that got no answer,
// and the releases of leases whose unlock got none, with cancelScript,
// once Redis answers again. It runs one goroutine while it has work and
// none otherwise.
type releaser struct {
	client redis.UniversalClient

	mu      sync.Mutex
	pending []release
	running bool
}

// release is a token to cancel, and the lease it may hold.
type release struct {
	lease, token string
	since        time.Time
}

// add queues a cancellation and starts delivering if nobody is.
func (r *releaser) add(lease, token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == maxPending {
		r.pending = r.pending[1:]
	}
	r.pending = append(r.pending, release{lease: lease, token: token, since: time.Now()})
	if !r.running {
		r.running = true
		go r.run()
	}
}

// flush delivers the cancellations queued for lease now, within ctx, and
// reports whether one removed a lease: a Lock that finds its session
// leased does not wait for the background when the lease may be one this
// store left behind.
func (r *releaser) flush(ctx context.Context, lease string) bool {
	r.mu.Lock()
	var mine []release
	for _, p := range r.pending {
		if p.lease == lease {
			mine = append(mine, p)
		}
	}
	r.mu.Unlock()
	removed := false
	for _, p := range mine {
		n, err := r.cancel(ctx, p)
		if err != nil {
			return removed
		}
		r.done(p)
		removed = removed || n > 0
	}
	return removed
}

// run delivers the queued cancellations in order, pausing after a failure
// with a backoff from 50 ms to 1 s, until none is left. One older than
// markTTL is dropped: its attempt can no longer reach Redis, and its
// lease, if it took one, has run out.
func (r *releaser) run() {
	pause := 50 * time.Millisecond
	for {
		r.mu.Lock()
		for len(r.pending) > 0 && time.Since(r.pending[0].since) > markTTL {
			r.pending = r.pending[1:]
		}
		if len(r.pending) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		p := r.pending[0]
		r.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
		_, err := r.cancel(ctx, p)
		cancel()
		switch {
		case errors.Is(err, redis.ErrClosed):
			r.mu.Lock()
			r.pending, r.running = nil, false // nothing can be delivered any more
			r.mu.Unlock()
			return
		case err != nil:
			time.Sleep(pause)
			pause = min(2*pause, time.Second)
		default:
			r.done(p)
			pause = 50 * time.Millisecond
		}
	}
}

func (r *releaser) cancel(ctx context.Context, p release) (int, error) {
	return cancelScript.Run(ctx, r.client, []string{p.lease, markKey(p.lease, p.token)}, p.token, markTTL.Milliseconds()).Int()
}

// done forgets the delivered p.
func (r *releaser) done(p release) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.pending {
		if q.token == p.token {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			return
		}
	}
}
