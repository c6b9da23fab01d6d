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

	// Delete removes key. Deleting a missing key is not an error.
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
type Locker interface {
	// Lock blocks until it holds the lock of key or ctx is done. The
	// returned function releases it. A lock must stay valid for at
	// least 50 ms after Lock returns, even if the store cannot be
	// reached meanwhile.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// SelfCleaning is a Store that removes expired entries by itself, such as
// Redis with its key expiry: the Manager runs no cleanup for it, and the
// conformance suite does not expect Cleanup to report removals.
type SelfCleaning interface {
	Store
	// SelfCleaning is a marker: its presence is the statement.
	SelfCleaning()
}

// Errors a Store returns.
var (
	// ErrNotFound is returned by Save(Update) and Touch for a key that is
	// missing or expired.
	ErrNotFound = errors.New("session: not found in the store")
	// ErrCorrupt is wrapped by Load when the saved data cannot be read
	// back. The Manager logs it and starts a fresh session.
	ErrCorrupt = errors.New("session: corrupt data in the store")
)

// Errors that end a request, from the most to the least serious. A
// session whose Err is one of them answers with its status instead of the
// handler's response; Config.ErrorHandler can change that answer.
var (
	// ErrNoMiddleware: the session was asked for, but no Manager with that
	// name serves the request. Install one with app.Use(m.Middleware) or
	// m.Middleware(handler). Answers 500.
	ErrNoMiddleware = errors.New("session: no session manager serves this request; install one with app.Use(manager.Middleware)")
	// ErrLockTimeout: the session's lock was held by another request for
	// longer than Config.LockTimeout. Answers 503.
	ErrLockTimeout = errors.New("session: timed out waiting for another request of the same session")
	// ErrBadCookie: the session cookie's signature does not verify with
	// any key: tampered, truncated, or signed with a key since removed.
	// Answers 400 "Bad Cookie" and clears the cookie, unless
	// Config.RejectBadCookie is No.
	ErrBadCookie = errors.New("session: bad cookie")
	// ErrExpired: a validly signed session is no longer in the store, or
	// has outlived Config.Lifetime, and Config.IgnoreExpiry is No; or its
	// client address changed and Config.IgnoreChangeIP is No. Answers
	// Config.ExpiredStatus with Config.ExpiredMessage.
	ErrExpired = errors.New("session: expired")
	// ErrIPChanged is the ErrExpired of a session used from a new address.
	ErrIPChanged = fmt.Errorf("%w: client address changed", ErrExpired)
)

// StoreError is a failure of the store, such as a database that is down
// or a disk that is full: the request answers 500 and the cause is
// logged. It is never caused by what the client sent.
type StoreError struct {
	Op  string // "load", "save", "touch", "delete", "lock"
	Err error
}

// Error says which store operation failed and why.
func (e *StoreError) Error() string { return "session: store " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the store's own error.
func (e *StoreError) Unwrap() error { return e.Err }
