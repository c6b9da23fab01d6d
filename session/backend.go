package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpy/web/session/internal/record"
)

// backend is where a Manager keeps its sessions: in a Store on the server
// (storeBackend, below) or in the cookie itself (cookieBackend, in
// cookiestore.go). New chooses one; nothing else asks which it has.
type backend interface {
	// open reads the session the request names into s, or starts a new
	// one, and leaves s fresh, loaded or failed.
	open(s *Session)
	// save carries out act (not keep) with the session's data and its
	// new deadline. It returns errGone when the session was removed
	// meanwhile, and a *StoreError when the store failed.
	save(s *Session, act action, deadline time.Time) error
	// cookieValue is the value of the cookie that names s, once saved.
	cookieValue(s *Session) (string, error)
	// kill removes what is kept of s.
	kill(s *Session) error
	// release gives back what open took, once s is committed.
	release(s *Session)
	// inCookie reports whether the cookie carries the data, so that
	// every write must send it.
	inCookie() bool
}

// storeBackend keeps sessions in a Store: the cookie carries only the
// signed id, and the store holds the data under the hash of the id.
type storeBackend struct {
	m        *Manager
	store    Store
	name     string // the store's type, for the log
	locks    *lockTable
	inMemory bool // the store is this process's memory, which cannot hang
}

// open loads the session named by the request's cookie, under its lock,
// or by its id when it is opened again after Save.
func (b *storeBackend) open(s *Session) {
	id := s.id
	if s.cookie == cookieUnread {
		ok := s.readCookie(func(value string) bool {
			var valid bool
			id, valid = b.m.signer.parseCookie(b.m.cfg.CookieName, value)
			return valid
		})
		if !ok {
			return
		}
	}
	if id == "" {
		s.start()
		return
	}
	key := storeKey(id)
	l, err := b.locks.take(s.reg.r.Context(), key)
	if err != nil {
		s.fail(b.lockFault(err))
		return
	}
	if l.leased() {
		b.m.storeAnswered()
	}
	ctx, cancel := b.step(s, false)
	defer cancel()
	d, deadline, stored, err := b.read(ctx, s, l, key)
	if err == nil {
		err = b.check(ctx, s, id, key, d, deadline)
	}
	if err != nil {
		b.giveBack(l, nil, time.Time{}, err)
		if !errors.Is(err, errGone) {
			s.fail(err)
		}
		return
	}
	s.key, s.lock, s.stored = key, l, stored
}

// read returns the session under key: passed on by the request before,
// or loaded from the store; d is nil when there is none. Data that cannot
// be read back are logged and removed, and the session treated as
// missing. That delete is not fenced: no holder ever rewrites such data
// (every reader starts a fresh session under a new id instead), so a
// stale holder's removal loses nobody's update.
func (b *storeBackend) read(ctx context.Context, s *Session, l *keyLock, key string) (d *data, deadline time.Time, stored []byte, err error) {
	stored, deadline, found := l.received()
	if !found {
		stored, deadline, found, err = b.store.Load(ctx, key)
		l.readStore()
		if errors.Is(err, ErrCorrupt) {
			b.m.storeAnswered()
			b.discard(ctx, key, err)
			return nil, time.Time{}, nil, nil
		}
		if err != nil {
			return nil, time.Time{}, nil, b.fault(ctx, "load", err)
		}
		b.m.storeAnswered()
	}
	if !found {
		return nil, time.Time{}, nil, nil
	}
	d = new(data)
	if err := record.Decode(stored, d); err != nil {
		b.discard(ctx, key, fmt.Errorf("%w: %v", ErrCorrupt, err))
		return nil, time.Time{}, nil, nil
	}
	return d, deadline, stored, nil
}

// discard logs the corrupt data under key, found by the store's Load or
// by decoding, and removes them, so that the visitor gets a fresh session
// now and the next request does not meet them again.
func (b *storeBackend) discard(ctx context.Context, key string, err error) {
	b.m.cfg.Logger.Warn("session: corrupt session data; starting a fresh session", "session", b.m.cfg.Name, "err", err)
	if derr := b.store.Delete(ctx, key); derr != nil {
		b.m.cfg.Logger.Warn("session: removing corrupt session data failed", "session", b.m.cfg.Name, "err", derr)
	}
}

// check makes d the session's data when it may still be used; otherwise
// it removes what must go from the store and handles the session as
// expired, returning errGone, or an error when the removal failed. That
// delete is not fenced either: what condemns the session (its deadline,
// its Created, its address under IgnoreChangeIP No) is nothing a write
// of another holder changes, so it is dead whoever holds its lock.
func (b *storeBackend) check(ctx context.Context, s *Session, id, key string, d *data, deadline time.Time) error {
	v := s.judge(d, deadline)
	if v == outlived || v == movedIP {
		if err := b.store.Delete(ctx, key); err != nil {
			return b.fault(ctx, "delete", err)
		}
	}
	if v != usable {
		s.expired(v)
		return errGone
	}
	s.admit(id, d, deadline)
	return nil
}

func (b *storeBackend) save(s *Session, act action, deadline time.Time) error {
	plain, cancel := b.step(s, true)
	defer cancel()
	ctx := s.lock.fence(plain)
	key, deadline := b.target(s, act, deadline)
	enc, err := b.write(ctx, s, act, key, deadline)
	if err != nil {
		return err
	}
	s.deadline = deadline
	switch act {
	case update:
		s.stored = enc // what a waiter of the lock may be passed
	case create, renew:
		// The lock held, if any, is of another id (the killed or renewed
		// one): a waiter of it must find that id gone, not these data.
		s.stored = nil
	}
	if act == renew {
		if err := b.dropOld(ctx, plain, s, key); err != nil {
			return err
		}
		s.oldID = ""
	}
	s.key = key
	return nil
}

// dropOld deletes the copy of a renewed session kept under its old id,
// once it is saved under the new key. ctx carries the old id's lease: a
// holder that stalled past it must not remove what another instance has
// saved since. When the fence refuses, the copy just saved under key is
// removed again, within plain (no lease holds key): the response fails
// and never sends its id, so nobody could use it.
func (b *storeBackend) dropOld(ctx, plain context.Context, s *Session, key string) error {
	err := b.remove(ctx, s.key)
	if errors.Is(err, ErrFenced) {
		if derr := b.store.Delete(plain, key); derr != nil {
			b.m.cfg.Logger.Warn("session: removing the copy a refused RenewID saved under the new id failed", "session", b.m.cfg.Name, "err", derr)
		}
	}
	return err
}

// remove deletes key within ctx. A delete the fence refuses returns its
// error as it is, as write does: the store answered, and the request
// answers that the session changed elsewhere, not that the store failed.
func (b *storeBackend) remove(ctx context.Context, key string) error {
	err := b.store.Delete(ctx, key)
	if err != nil && !errors.Is(err, ErrFenced) {
		return b.fault(ctx, "delete", err)
	}
	b.m.storeAnswered()
	return err
}

// target returns the key act writes under, and the deadline it gives: a
// new session lives FirstTimeout until its cookie comes back.
func (b *storeBackend) target(s *Session, act action, deadline time.Time) (string, time.Time) {
	switch act {
	case create:
		if first := b.m.now().Add(b.m.cfg.FirstTimeout); s.rec.Remember == 0 && first.Before(deadline) {
			deadline = first
		}
		return storeKey(s.id), deadline
	case renew:
		return storeKey(s.id), deadline
	}
	return s.key, deadline
}

// write carries out act under key and returns the data it wrote (none
// for a Touch).
func (b *storeBackend) write(ctx context.Context, s *Session, act action, key string, deadline time.Time) ([]byte, error) {
	var enc []byte
	var err error
	if t, ok := b.store.(Toucher); ok && act == touch {
		err = t.Touch(ctx, key, deadline)
	} else if enc, err = record.Encode(&s.rec); err != nil {
		return nil, &StoreError{Op: "encode", Err: err}
	} else {
		err = b.store.Save(ctx, key, enc, deadline, act.saveMode())
	}
	switch {
	case errors.Is(err, ErrNotFound) && (act == update || act == touch):
		b.m.storeAnswered()
		s.stored = nil
		return nil, errGone
	case errors.Is(err, ErrFenced):
		b.m.storeAnswered()
		return nil, err
	case err != nil && act == touch:
		return nil, b.fault(ctx, "touch", err)
	case err != nil:
		return nil, b.fault(ctx, "save", err)
	}
	b.m.storeAnswered()
	return enc, nil
}

// saveMode is the Store.Save mode of an action that writes data.
func (a action) saveMode() SaveMode {
	if a == create || a == renew {
		return Create
	}
	return Update
}

func (b *storeBackend) cookieValue(s *Session) (string, error) {
	return b.m.signer.sign(b.m.cfg.CookieName, s.id), nil
}

// kill deletes the session's stored copy: the one it was loaded from,
// which is the old id's after RenewID. The delete carries the lease of
// that key, as a save does: a holder that stalled past it must not remove
// the session another instance has saved since.
func (b *storeBackend) kill(s *Session) error {
	if s.state != loaded && s.state != changed && s.state != renewed {
		return nil // never stored
	}
	ctx, cancel := b.step(s, true)
	defer cancel()
	return b.remove(s.lock.fence(ctx), s.key)
}

// step returns the context of one step of s with the store: bounded by
// StoreTimeout, and, for a write, carried out even if the client goes away
// meanwhile. A MemoryStore cannot hang, so its steps are spared the
// timer (three allocations each).
func (b *storeBackend) step(s *Session, write bool) (context.Context, context.CancelFunc) {
	ctx := s.reg.r.Context()
	if write {
		ctx = context.WithoutCancel(ctx)
	}
	if b.inMemory {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.m.cfg.StoreTimeout)
}

// lockFault names the store in a lock's failure. A request that waited
// past LockTimeout behind another request of its session while the store
// is failing waited for the store, not for a slow handler: that is the
// store's failure too, answered and logged as one; so is a store's lock
// found taken then, most likely by a lock attempt of the outage.
func (b *storeBackend) lockFault(err error) error {
	var se *StoreError
	switch {
	case errors.As(err, &se):
		named := *se // a copy: the lock table may have passed se to the requests behind
		named.Store = b.name
		err = &named
	case errors.Is(err, errLeaseHeld) && b.m.outage.failing.Load():
		err = &StoreError{Op: "lock", Store: b.name, Err: err}
	case errors.Is(err, ErrLockTimeout) && b.m.outage.failing.Load():
		err = &StoreError{Op: "lock", Store: b.name,
			Err: fmt.Errorf("waited %v behind a request of the same session that waits for the store: %w", b.m.cfg.LockTimeout, err)}
	}
	return err
}

// fault returns the *StoreError of an operation that failed within ctx,
// saying so when the store did not answer within StoreTimeout.
func (b *storeBackend) fault(ctx context.Context, op string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", b.m.cfg.StoreTimeout, err)
	}
	return &StoreError{Op: op, Store: b.name, Err: err}
}

// release gives back the session's lock, with the data the store now
// holds when it is known, for a request of the session waiting for it;
// the data is dropped here, and loaded again if the session is used again.
func (b *storeBackend) release(s *Session) {
	if s.lock != nil {
		stored := s.stored
		if s.err != nil {
			stored = nil
		}
		b.giveBack(s.lock, stored, s.deadline, s.err)
		s.lock = nil
	}
	s.stored, s.rec = nil, data{}
}

func (b *storeBackend) inCookie() bool { return false }

// giveBack gives back l: with data for a request waiting, or, when the
// holder failed because the store is down or slow (err), with that
// failure, so that the waiting requests do not each wait for it in turn.
func (b *storeBackend) giveBack(l *keyLock, data []byte, deadline time.Time, err error) {
	if Unavailable(err) {
		b.locks.giveBackFailed(l, err)
		return
	}
	b.locks.giveBack(l, data, deadline)
}
