package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Manager loads and saves the sessions of one cookie in one Store (web.py's
// Session(app, store, initializer)). Install its Middleware around the
// handlers that use sessions; they reach their session with FromContext,
// or c.Session() in the web framework.
type Manager struct {
	cfg     Config
	backend backend
	signer  *signer
	cookie  sessionCookie
	now     func() time.Time

	rejectBadCookie, ignoreExpiry, ignoreChangeIP, noStore bool

	outage outage // a failing store's few log lines

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	nameTaken sync.Once // the misconfiguration of two Managers of one Name, logged once
}

// New returns a Manager for store. Every field of cfg that is left zero
// takes its documented default; a field that cannot work (a short key, a
// __Host- cookie without Secure) is an error naming it. Unless cleanup is
// turned off, New starts a goroutine that removes expired sessions every
// Config.CleanupInterval; Close stops it.
func New(store Store, cfg Config) (*Manager, error) {
	if store == nil {
		return nil, errors.New("session: New needs a Store")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:             cfg,
		cookie:          newSessionCookie(&cfg),
		now:             time.Now,
		rejectBadCookie: cfg.RejectBadCookie.or(true),
		ignoreExpiry:    cfg.IgnoreExpiry.or(true),
		ignoreChangeIP:  cfg.IgnoreChangeIP.or(true),
		noStore:         cfg.NoStore.or(true),
		outage:          outage{interval: outageInterval},
		stop:            make(chan struct{}),
		done:            make(chan struct{}),
	}
	if !cfg.Disabled {
		keys, err := resolveKeys(&cfg, store, cfg.Logger)
		if err != nil {
			return nil, err
		}
		m.signer = newSigner(keys)
	}
	// The one place that tells the two kinds of store apart.
	if cs, ok := store.(*CookieStore); ok {
		m.backend = &cookieBackend{m: m, cs: cs}
		close(m.done)
		return m, nil
	}
	_, inMemory := store.(*MemoryStore)
	m.backend = &storeBackend{m: m, store: store, name: fmt.Sprintf("%T", store), inMemory: inMemory,
		locks: newLockTable(store, cfg.LockTimeout, cfg.StoreTimeout)}
	if _, selfCleaning := store.(SelfCleaning); cfg.CleanupInterval > 0 && !cfg.Disabled && !selfCleaning {
		go m.cleanupLoop(store)
	} else {
		close(m.done)
	}
	return m, nil
}

// Name returns the manager's Config.Name.
func (m *Manager) Name() string { return m.cfg.Name }

// Close stops the background cleanup and waits for a cleanup in progress
// to end. The store itself is not closed.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() { close(m.stop) })
	<-m.done
	return nil
}

// cleanupLoop removes expired sessions from store every CleanupInterval
// until Close.
func (m *Manager) cleanupLoop(store Store) {
	defer close(m.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	t := time.NewTicker(m.cfg.CleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			n, err := store.Cleanup(ctx, m.now())
			switch {
			case err != nil && ctx.Err() == nil:
				m.cfg.Logger.Warn("session: cleanup of expired sessions failed", "session", m.cfg.Name, "err", err)
			case n > 0:
				m.cfg.Logger.Debug("session: removed expired sessions", "session", m.cfg.Name, "count", n)
			}
		}
	}
}

// logFailure logs why a session failed, when it is the server's fault:
// what the client sent is answered, not logged.
func (m *Manager) logFailure(ctx context.Context, err error) {
	var se *StoreError
	switch {
	case ctx.Err() != nil:
		// The client went away; the store was told to stop, not failing.
		m.cfg.Logger.Debug("session: request canceled", "session", m.cfg.Name, "err", err)
	case errors.As(err, &se) && Unavailable(err):
		m.storeFailed(se)
	case errors.As(err, &se):
		m.cfg.Logger.Error("session: the session cannot be stored", "session", m.cfg.Name, "op", se.Op, "err", se.Err)
	case errors.Is(err, ErrFenced):
		m.cfg.Logger.Error("session: a save was refused: the store's lock ran out under this request and another instance took the session; this request's changes are lost. Call Save before slow work, or lengthen the store's lease",
			"session", m.cfg.Name, "err", err)
	case errors.Is(err, errLeaseHeld):
		m.cfg.Logger.Warn("session: busy: another instance held the session's lock in the store past LockTimeout or StoreTimeout; the store answers, so look for a slow handler there",
			"session", m.cfg.Name)
	case errors.Is(err, ErrLockTimeout):
		m.cfg.Logger.Warn("session: busy: timed out waiting for another request of the same session, which held it past LockTimeout; the store answers, so look for a slow handler",
			"session", m.cfg.Name, "waited", m.cfg.LockTimeout)
	}
}
