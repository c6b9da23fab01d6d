package session

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store keeps encoded sessions under a key. The key is a hash of the
// session id (64 lower-case hex digits), never the id itself, so a copy of
// the store or a listing of its folder hands out no live session.
//
// A Store must be safe for concurrent use. The Manager serialises the
// requests of one session inside a process; a store shared by several
// processes can offer the same across processes by implementing Locker.
type Store interface {
	// Load returns the data saved under key and its deadline. A key that
	// is missing, or whose deadline is not after now, gives found == false
	// and a nil error. Data that cannot be read back gives an error that
	// wraps ErrCorrupt; the session is then treated as missing.
	Load(ctx context.Context, key string) (data []byte, deadline time.Time, found bool, err error)

	// Save stores data under key until deadline. With Create the entry is
	// written whether or not it exists. With Update it replaces an
	// existing entry whose deadline has not passed and otherwise returns
	// ErrNotFound, so that a session killed meanwhile, by this process or
	// another, is never brought back.
	Save(ctx context.Context, key string, data []byte, deadline time.Time, mode SaveMode) error

	// Delete removes key. Deleting a missing key is not an error. A
	// Locker fences a Delete made under a lease as it does Save (see
	// Locker).
	Delete(ctx context.Context, key string) error

	// Cleanup removes the entries whose deadline is before now and
	// returns how many it removed. The Manager calls it in the
	// background; it must not block Load and Save for long.
	Cleanup(ctx context.Context, now time.Time) (removed int, err error)
}

// SaveMode says whether Store.Save may create an entry.
type SaveMode uint8

const (
	// Create writes a session whose key was just made from a fresh
	// random id, so it cannot exist yet.
	Create SaveMode = iota + 1
	// Update rewrites a session that was loaded in this request, only if
	// it still exists.
	Update
)

// String returns "create" or "update".
func (m SaveMode) String() string {
	switch m {
	case Create:
		return "create"
	case Update:
		return "update"
	}
	return fmt.Sprintf("SaveMode(%d)", uint8(m))
}

// Toucher is a Store that can move a session's deadline without rewriting
// its data. Stores without it get a full Save(Update) instead.
type Toucher interface {
	// Touch sets the deadline of an existing, unexpired key and returns
	// ErrNotFound when there is none.
	Touch(ctx context.Context, key string, deadline time.Time) error
}

// Locker is a Store that can lock a session across processes, so that
// concurrent requests of one session served by different instances lose
// no update either. The Manager takes its in-process lock first, then this
// one, and releases both once the session is saved, except that while
// other requests of the same session wait in this process, it passes the
// store's lock on to the next of them for up to 50 ms after taking it, to
// spare them a release and a take each.
//
// A lease can run out under a holder that stalls (a long pause, a
// stopped process) while another instance takes the lock: a Locker fences
// its writes, so that the stalled holder's late save cannot overwrite the
// other's, nor its late Kill or RenewID delete them. The Manager makes its
// writes under a lease with a context that carries the lease's token
// (LeaseToken), and so its deletes (Kill's, and the old id's after
// RenewID). Under such a context, Save with Update, Touch and Delete
// must check, in the same statement as the write, that the token still
// holds the key's lock, and return an error wrapping ErrFenced when it
// does not; a Delete of a key that is gone already is no error, as
// without a lease. (The Manager's deletes of data it found corrupt or
// expired carry no token: those data are dead whoever holds the lock.)
type Locker interface {
	// Lock blocks until it holds the lock of key or ctx is done. When ctx
	// ends while another holder keeps the lock, the error wraps
	// ErrLockTimeout; any other error is the store's failure. A lock must
	// stay valid for at least 50 ms after Lock returns, even if the store
	// cannot be reached meanwhile.
	Lock(ctx context.Context, key string) (Lease, error)
}

// Lease is a hold on the lock of one key, as Locker.Lock returns it.
type Lease struct {
	// Token tells this hold from every other hold of the key's lock,
	// before and after it; the store's fenced writes check it.
	Token string
	// Release gives the lock back; the Manager calls it once.
	Release func()
}

// leaseKey is the context key of a lease's token.
type leaseKey struct{}

// WithLease returns a copy of ctx that carries the token of the lease a
// write is made under. The Manager calls it; a store's tests do too.
func WithLease(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, leaseKey{}, token)
}

// LeaseToken returns the token of the lease ctx's write is made under, if
// any: the token a Locker's Save(Update), Touch and Delete check.
func LeaseToken(ctx context.Context) (string, bool) {
	token, ok := ctx.Value(leaseKey{}).(string)
	return token, ok
}

// SelfCleaning is a Store that removes expired entries by itself, such as
// Redis with its key expiry: the Manager runs no cleanup for it, and the
// conformance suite does not expect Cleanup to report removals.
type SelfCleaning interface {
	Store
	// SelfCleaning is a marker: its presence is the statement.
	SelfCleaning()
}

// KeyDirStore is a Store that keeps its data in a folder, where a
// generated secret key can live beside the sessions it signs.
type KeyDirStore interface {
	Store
	// KeyDir returns the folder for the key file.
	KeyDir() string
}

// KeyKeeper is a Store that can keep a generated secret key itself, so
// that every instance sharing the store (a database, Redis) signs cookies
// with the same key when none is configured. Without it, each instance
// would generate its own key and answer the others' cookies with 400.
type KeyKeeper interface {
	Store
	// SharedKey returns the key the store keeps. When it keeps none yet,
	// it keeps generated and returns it; instances that ask at the same
	// time all get the same key.
	SharedKey(ctx context.Context, generated string) (string, error)
}

// Errors a Store returns.
var (
	// ErrNotFound is returned by Save(Update) and Touch for a key that is
	// missing or expired.
	ErrNotFound = errors.New("session: not found in the store")
	// ErrCorrupt is wrapped by Load when the saved data cannot be read
	// back. The Manager logs it and starts a fresh session.
	ErrCorrupt = errors.New("session: corrupt data in the store")
	// ErrFenced is wrapped by a Locker's Save(Update), Touch and Delete
	// made under a lease that no longer holds the key's lock: another
	// holder took it after the lease ran out. The request's changes are
	// lost, which the Manager logs; it answers 503, and the client's
	// retry is served by whichever instance holds the session now.
	ErrFenced = errors.New("session: the session's lock was taken by another holder; this write was refused")
)
