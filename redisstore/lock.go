package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gowebpy/web/session"
)

// LockingStore is a Store that also implements session.Locker.
type LockingStore struct {
	*Store
}

// Locking returns s with session.Locker. Give it to session.New when
// several instances serve the same sessions:
//
//	sessions, err := session.New(store.Locking(), cfg)
//
// Each request that uses its session then costs two more round trips
// (take and release the lease).
func (s *Store) Locking() *LockingStore { return &LockingStore{s} }

// How a lease is taken and given back. A lock attempt that gets no answer
// (a timeout, a broken connection) may still reach Redis later: a request
// written to a connection while Redis hangs is read when it wakes up, long
// after the client gave up, and would then take a lease nobody holds, so
// that the session's requests wait out the lease and fail. So each
// attempt is told apart by its token, and the store cancels an attempt
// that got no answer: cancelScript marks the token cancelled and deletes
// the lease if the token took it, and lockScript takes no lease for a
// cancelled token. Redis runs each script whole, so whichever of the two
// comes first, no lease is left. The mark is a key of its own beside the
// lease, in the same Redis Cluster slot (see markKey), that expires after
// markTTL: longer than a request can linger in TCP's retransmissions.
var (
	// lockScript takes the lease KEYS[1] for the token ARGV[1] for
	// ARGV[2] ms, unless the token is cancelled (KEYS[2] exists): 1 taken,
	// 0 held by another, -1 cancelled.
	lockScript = redis.NewScript(`if redis.call("EXISTS", KEYS[2]) == 1 then return -1 end
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 end
return 0`)
	// cancelScript marks the token ARGV[1] cancelled for ARGV[2] ms and
	// deletes the lease KEYS[1] if the token holds it. It also releases a
	// held lease whose unlock got no answer.
	cancelScript = redis.NewScript(`redis.call("SET", KEYS[2], "1", "PX", ARGV[2])
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)
	// unlockScript deletes the lease only for the token that holds it.
	unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	// renewScript extends the lease only for the token that holds it.
	renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

const (
	// markTTL is how long a cancelled token stays marked. A request
	// written before the client gave up reaches Redis when it wakes up or
	// the network heals; TCP gives up retransmitting a closed connection's
	// data within about a minute and a half on Linux's defaults.
	markTTL = 2 * time.Minute
	// releaseTimeout bounds an unlock and each try to cancel an attempt:
	// a request in the store's release path must not wait for a Redis
	// that hangs. A lease whose release failed is released later (see
	// cancelLater).
	releaseTimeout = time.Second
)

// leaseKey is the key of key's lease.
func (s *Store) leaseKey(key string) string { return s.prefix + "lock:" + key }

// markKey is the key that marks token cancelled for the lease lease. It
// is in the lease's Redis Cluster slot, since a script may only touch
// keys of one slot: a lease key with a hash tag ({...}) keeps it, and
// one without is wrapped in braces, so that the whole lease key is the
// new key's tag. (A prefix with a stray "}" and no tag cannot be
// wrapped; the scripts then fail on a cluster with CROSSSLOT, loudly,
// and work on a single server.)
func markKey(lease, token string) string {
	suffix := ":cancelled:" + token
	if i := strings.IndexByte(lease, '{'); i >= 0 {
		if j := strings.IndexByte(lease[i+1:], '}'); j > 0 {
			return lease + suffix
		}
	}
	if strings.IndexByte(lease, '}') >= 0 {
		return lease + suffix
	}
	return "{" + lease + "}" + suffix
}

// Lock implements session.Locker. It polls with a jittered backoff until
// it holds the lease of key or ctx is done. An attempt that gets no
// answer is cancelled (see lockScript), here first if this store still
// has cancellations to deliver for key, and otherwise in the background
// once Redis answers again.
func (l *LockingStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := session.CheckKey(key); err != nil {
		return nil, err
	}
	k := l.leaseKey(key)
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("redisstore: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	wait := 2 * time.Millisecond
	for {
		n, err := lockScript.Run(ctx, l.client, []string{k, markKey(k, token)}, token, l.lease.Milliseconds()).Int()
		switch {
		case err != nil:
			l.cancelLater(k, token) // it may have reached Redis, or may yet
			if cerr := ctx.Err(); cerr != nil {
				return nil, fmt.Errorf("redisstore: lock: %w (%v)", cerr, err)
			}
			return nil, fmt.Errorf("redisstore: lock: %w", err)
		case n == 1:
			return l.hold(k, token), nil
		case n < 0:
			return nil, errors.New("redisstore: lock: the attempt was cancelled before it reached Redis")
		case l.releases.Flush(ctx, k):
			continue // a lease this store left behind is gone: try again at once
		}
		t := time.NewTimer(wait/2 + mathrand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("redisstore: lock: %w", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// hold renews the lease every third of its length until it is released.
func (l *LockingStore) hold(k, token string) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(l.lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			// A renewal that hangs must not outlast the next one.
			ctx, cancel := context.WithTimeout(context.Background(), l.lease/3)
			n, err := renewScript.Run(ctx, l.client, []string{k}, token, l.lease.Milliseconds()).Int()
			cancel()
			if err == nil && n == 0 {
				return // the lease is gone; nothing left to renew
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
			defer cancel()
			if err := unlockScript.Run(ctx, l.client, []string{k}, token).Err(); err != nil {
				l.cancelLater(k, token) // rather than let the lease run out
			}
		})
	}
}

// cancelLater queues the cancellation of token's attempt on the lease k,
// which also releases the lease if the token holds it, to be delivered
// once Redis answers. Past markTTL it is useless: the attempt can no
// longer arrive, and a lease it took has run out.
func (l *LockingStore) cancelLater(k, token string) {
	l.releases.Add(k, time.Now().Add(markTTL), func(ctx context.Context) (bool, error) {
		n, err := cancelScript.Run(ctx, l.client, []string{k, markKey(k, token)}, token, markTTL.Milliseconds()).Int()
		return n > 0, err
	})
}
