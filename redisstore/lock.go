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

	"github.com/gowebpy/web/internal/deadline"
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

// The fenced writes: a write under a lease checks that the lease key
// still has its token and writes in the same script, which Redis runs
// whole, so that no other holder can take the lease in between. Each
// returns 1 written, 0 when the session is gone (ErrNotFound, whoever
// holds its lock; for a delete, no error) and -1 when the lease has
// another token or none (ErrFenced).
var (
	// saveScript rewrites the session KEYS[1] with ARGV[1] until the Unix
	// time ARGV[2] in ms, if the lease KEYS[2] has the token ARGV[3].
	saveScript = redis.NewScript(`if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if redis.call("GET", KEYS[2]) ~= ARGV[3] then return -1 end
redis.call("SET", KEYS[1], ARGV[1], "PXAT", ARGV[2])
return 1`)
	// touchScript moves the deadline of the session KEYS[1] to the Unix
	// time ARGV[1] in ms, if the lease KEYS[2] has the token ARGV[2].
	touchScript = redis.NewScript(`if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if redis.call("GET", KEYS[2]) ~= ARGV[2] then return -1 end
redis.call("PEXPIREAT", KEYS[1], ARGV[1])
return 1`)
	// deleteScript deletes the session KEYS[1] if the lease KEYS[2] has
	// the token ARGV[1].
	deleteScript = redis.NewScript(`if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
if redis.call("GET", KEYS[2]) ~= ARGV[1] then return -1 end
redis.call("DEL", KEYS[1])
return 1`)
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

// leaseKey is the key of key's lease. The fenced writes' scripts touch it
// together with the session's key, and a script may only touch keys of
// one Redis Cluster slot (or one shard of a Ring), so the lease key's
// hash tag is the session's key: "session:lock:{session:<key>}". A
// prefix with a tag of its own ("{app}:") gives both keys that tag, and
// the lease key is "{app}:lock:<key>". (So is it for a prefix with a stray
// brace and no tag, which cannot be wrapped: the scripts then fail on a
// cluster with CROSSSLOT, loudly, and work on a single server.)
func (s *Store) leaseKey(key string) string {
	if strings.ContainsAny(s.prefix, "{}") {
		return s.prefix + "lock:" + key
	}
	return s.prefix + "lock:{" + s.prefix + key + "}"
}

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
// it holds the lease of key or ctx is done. The lease's token is the
// random value of the lease key, which the writes made under it check
// (see Save). When ctx ends while another holder keeps the lease, the
// error wraps session.ErrLockTimeout and ctx.Err(); when Redis does not
// answer, or fails, it does not wrap ErrLockTimeout. An attempt that gets
// no answer is cancelled (see lockScript), here first if this store still
// has cancellations to deliver for key, and otherwise in the background
// once Redis answers again.
func (l *LockingStore) Lock(ctx context.Context, key string) (session.Lease, error) {
	if err := session.CheckKey(key); err != nil {
		return session.Lease{}, err
	}
	k := l.leaseKey(key)
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return session.Lease{}, fmt.Errorf("redisstore: lock token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	wait := 2 * time.Millisecond
	// held: an attempt got the answer that another holder has the lease.
	for held := false; ; held = true {
		n, err := lockScript.Run(ctx, l.client, []string{k, markKey(k, token)}, token, l.lease.Milliseconds()).Int()
		switch {
		case err != nil:
			l.cancelLater(k, token) // it may have reached Redis, or may yet
			cerr := deadline.Err(ctx)
			if cerr != nil && held {
				// The deadline cut a poll short after Redis had answered
				// that the lease is held: the caller waited for the
				// holder, and its last poll is no sign of a failing Redis.
				return session.Lease{}, busy(ctx)
			}
			if cerr != nil {
				return session.Lease{}, fmt.Errorf("redisstore: lock: no answer by the deadline: %w (%v)", cerr, err)
			}
			return session.Lease{}, fmt.Errorf("redisstore: lock: %w", err)
		case n == 1:
			return session.Lease{Token: token, Release: l.hold(k, token)}, nil
		case n < 0:
			return session.Lease{}, errors.New("redisstore: lock: the attempt was cancelled before it reached Redis")
		case l.releases.Flush(ctx, k):
			continue // a lease this store left behind is gone: try again at once
		}
		t := time.NewTimer(wait/2 + mathrand.N(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			return session.Lease{}, busy(ctx)
		case <-t.C:
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// busy is the error of a Lock whose ctx ended while another holder kept
// the lease.
func busy(ctx context.Context) error {
	return fmt.Errorf("redisstore: lock: %w: %w", session.ErrLockTimeout, deadline.Err(ctx))
}

// Save implements session.Store. A Save(Update) made under a lease (a ctx
// with session.LeaseToken, as the Manager's writes under Lock are) writes
// only while the lease key still has the lease's token, checked and
// written by one script, and otherwise returns an error wrapping
// session.ErrFenced: a holder that stalled past its lease, while another
// instance took the lock, cannot overwrite that instance's writes.
func (l *LockingStore) Save(ctx context.Context, key string, data []byte, deadline time.Time, mode session.SaveMode) error {
	token, _ := session.LeaseToken(ctx)
	if token == "" || mode != session.Update || !deadline.After(time.Now()) {
		return l.Store.Save(ctx, key, data, deadline, mode)
	}
	k, err := l.key(key)
	if err != nil {
		return err
	}
	n, err := saveScript.Run(ctx, l.client, []string{k, l.leaseKey(key)}, data, deadline.UnixMilli(), token).Int()
	return fenced("save", n, err)
}

// Touch implements session.Toucher, fenced under a lease as Save is.
func (l *LockingStore) Touch(ctx context.Context, key string, deadline time.Time) error {
	token, _ := session.LeaseToken(ctx)
	if token == "" {
		return l.Store.Touch(ctx, key, deadline)
	}
	k, err := l.key(key)
	if err != nil {
		return err
	}
	n, err := touchScript.Run(ctx, l.client, []string{k, l.leaseKey(key)}, deadline.UnixMilli(), token).Int()
	return fenced("touch", n, err)
}

// Delete implements session.Store, fenced under a lease as Save is: the
// session is deleted only while the lease key has the lease's token,
// checked and deleted by one script, so that a stalled holder's late Kill
// or RenewID cannot remove a session another instance has written since;
// it then returns an error wrapping session.ErrFenced. A session that is
// gone already is no error, under a lease or not.
func (l *LockingStore) Delete(ctx context.Context, key string) error {
	token, _ := session.LeaseToken(ctx)
	if token == "" {
		return l.Store.Delete(ctx, key)
	}
	k, err := l.key(key)
	if err != nil {
		return err
	}
	n, err := deleteScript.Run(ctx, l.client, []string{k, l.leaseKey(key)}, token).Int()
	if err == nil && n == 0 {
		return nil // gone already
	}
	return fenced("delete", n, err)
}

// fenced returns the error of a fenced write's script, op naming it.
func fenced(op string, n int, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("redisstore: %s: %w", op, err)
	case n == 0:
		return session.ErrNotFound
	case n < 0:
		return fmt.Errorf("redisstore: %s: %w", op, session.ErrFenced)
	}
	return nil
}

// hold renews the lease every third of its length until it is released,
// and returns the function that releases it (the Lease's Release).
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
