package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Session is the data of one visitor, loaded on first use in a request and
// saved before the response goes out. Its methods are safe for concurrent
// use by the goroutines of one request.
//
// Values are kept as JSON. Set accepts anything JSON can encode; after a
// round trip through the store numbers come back as json.Number, so read
// them with the typed getters (Int, Float, ...), which accept every form.
type Session struct {
	mu  sync.Mutex
	m   *Manager  // nil for a detached session
	reg *registry // nil for a detached session
	err error     // why the session failed; see the Err* variables

	errReported bool // err has been handed to the response

	loaded     bool // rec holds the data; for a stored session, the lock is held
	used       bool // the session was read or written in this request
	cookieRead bool // the request's cookie has been examined
	fromCookie bool // the request carried a valid cookie for this session
	id         string
	key        string
	isNew      bool // not in the store yet
	rec        record
	deadline   time.Time // the deadline the store holds
	stored     []byte    // the data the store holds under key, when known
	dirty      bool
	oldID      string          // RenewID: the id before it, and its key, to delete
	oldKey     string          // when the new one is saved
	dropCookie bool            // tell the client to delete its cookie, unless a new one is set
	flashed    []Message       // the flashes read in this request
	added      []Message       // the messages added in this request
	writeCtx   context.Context // see ctx
	lock       heldLock        // valid while locked
	locked     bool
}

// detached returns a session that belongs to no request: it lives in
// memory and is never saved. err is what Err reports.
func detached(err error) *Session {
	return &Session{loaded: true, isNew: true, err: err, rec: record{Values: make(map[string]any)}}
}

// ensure loads the session if it is not loaded yet. s.mu must be held.
func (s *Session) ensure() {
	s.used = true
	if s.loaded || s.err != nil {
		return
	}
	s.load()
}

// fail records err; the request will answer with it.
func (s *Session) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	if s.rec.Values == nil {
		s.rec.Values = make(map[string]any)
	}
	var se *StoreError
	switch {
	case s.reg != nil && s.reg.r.Context().Err() != nil:
		// The client went away; the store was told to stop, not failing.
		s.m.cfg.Logger.Debug("session: request canceled", "session", s.m.cfg.Name, "err", err)
	case errors.As(err, &se):
		s.m.cfg.Logger.Error("session: store failed", "session", s.m.cfg.Name, "op", se.Op, "err", se.Err)
	case errors.Is(err, ErrLockTimeout):
		s.m.cfg.Logger.Warn("session: "+err.Error(), "session", s.m.cfg.Name, "waited", s.m.cfg.LockTimeout)
	}
}

func (s *Session) ctx() context.Context {
	// Writes must finish even if the client goes away mid-request.
	if s.writeCtx == nil {
		s.writeCtx = context.WithoutCancel(s.reg.r.Context())
	}
	return s.writeCtx
}

// load reads the session named by the request's cookie, or starts a new
// one. s.mu must be held.
func (s *Session) load() {
	m, r := s.m, s.reg.r
	if m.cookies != nil {
		s.loadCookie()
		return
	}
	id := s.id // known when the session is loaded again after Save
	if id == "" && !s.cookieRead {
		s.cookieRead = true
		var bad bool
		id, bad = m.readCookie(r)
		switch {
		case bad && m.rejectBadCookie:
			s.dropCookie = true
			s.fail(ErrBadCookie)
			return
		case bad:
			s.dropCookie = true
		}
		s.fromCookie = id != ""
	}
	if id == "" {
		s.start()
		return
	}
	key := storeKey(id)
	held, err := m.lock(r.Context(), key)
	unlock := func() { m.unlock(held, nil, time.Time{}) }
	if err != nil {
		s.fail(err)
		return
	}
	data, deadline, found := held.l.take() // passed on by the request before
	if !found {
		data, deadline, found, err = m.store.Load(r.Context(), key)
		if held.l.store == nil {
			held.l.since = time.Now()
		}
	}
	now := m.now()
	var rec record
	if err == nil && found && deadline.After(now) {
		err = decodeRecord(data, &rec)
	}
	if errors.Is(err, ErrCorrupt) {
		m.cfg.Logger.Warn("session: corrupt session data; starting a fresh session", "session", m.cfg.Name, "err", err)
		if derr := m.store.Delete(s.ctx(), key); derr != nil {
			m.cfg.Logger.Warn("session: removing corrupt session data failed", "session", m.cfg.Name, "err", derr)
		}
		found, err = false, nil
	}
	if err != nil {
		unlock()
		s.fail(&StoreError{Op: "load", Err: err})
		return
	}
	tooOld := found && m.cfg.Lifetime > 0 && now.Sub(rec.Created) >= m.cfg.Lifetime
	changedIP := false
	ip := ""
	if found && !tooOld {
		ip = m.cfg.ClientIP(r)
		changedIP = !m.ignoreChangeIP && rec.IP != "" && rec.IP != ip
	}
	if tooOld || changedIP {
		if derr := m.store.Delete(s.ctx(), key); derr != nil {
			unlock()
			s.fail(&StoreError{Op: "delete", Err: derr})
			return
		}
	}
	if !found || !deadline.After(now) || tooOld || changedIP {
		unlock()
		s.expired(changedIP)
		return
	}
	s.id, s.key, s.rec, s.deadline, s.stored, s.lock, s.locked = id, key, rec, deadline, data, held, true
	s.loaded, s.isNew, s.dirty = true, false, false
	if rec.IP != ip {
		s.rec.IP = ip // the address follows the client, as in web.py
		s.dirty = true
	}
}

// expired handles a cookie that names a session no longer valid: the
// client drops the cookie, and the request gets a fresh session, or the
// expired answer when so configured. s.mu must be held.
func (s *Session) expired(changedIP bool) {
	s.id = ""
	s.dropCookie = true
	switch {
	case changedIP:
		s.fail(ErrIPChanged)
	case !s.m.ignoreExpiry:
		s.fail(ErrExpired)
	default:
		s.start()
	}
}

// start makes the session a new, empty one with the initializer's values.
// Nothing is stored until it changes. s.mu must be held.
func (s *Session) start() {
	m := s.m
	s.id, s.key, s.oldID, s.oldKey, s.stored = "", "", "", "", nil
	s.loaded, s.isNew, s.dirty = true, true, false
	s.rec = record{Created: m.now(), IP: m.cfg.ClientIP(s.reg.r)}
	s.rec.Values, _ = deepCopy(m.cfg.Initializer) // checked by New
	if m.cfg.InitFunc != nil {
		s.mu.Unlock()
		m.cfg.InitFunc(s)
		s.mu.Lock()
		s.dirty = false
	}
}

// Err returns why the session could not be used in this request, or nil.
// The request then answers with that error instead of the handler's
// response (see the Err* variables); a handler can check Err to skip work
// that would be discarded.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	return s.err
}

// Get returns the value stored under key, or nil.
func (s *Session) Get(key string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	return s.rec.Values[key]
}

// Has reports whether key is set.
func (s *Session) Has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	_, ok := s.rec.Values[key]
	return ok
}

// Keys returns the keys that are set, sorted.
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	keys := make([]string, 0, len(s.rec.Values))
	for k := range s.rec.Values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Set stores value under key. A value JSON cannot encode (a channel, a
// function, NaN) is refused with an error that names the key. Every Set
// marks the session changed, even when the value is the one it had, so
// setting a value back to its initial value is saved (web.py #683).
func (s *Session) Set(key string, value any) error {
	if err := checkValue(value); err != nil {
		return fmt.Errorf("session: value for key %q cannot be stored: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.err
	}
	s.rec.Values[key] = value
	s.dirty = true
	return nil
}

// Delete removes key.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if _, ok := s.rec.Values[key]; ok {
		delete(s.rec.Values, key)
		s.dirty = true
	}
}

// Int returns the value of key as an int, or 0 when it is missing or not
// a whole number.
func (s *Session) Int(key string) int { return int(s.Int64(key)) }

// Int64 returns the value of key as an int64, or 0 when it is missing or
// not a whole number.
func (s *Session) Int64(key string) int64 {
	if n, ok := toInt64(s.Get(key)); ok {
		return n
	}
	return 0
}

// Float returns the value of key as a float64, or 0 when it is missing or
// not a number.
func (s *Session) Float(key string) float64 {
	if f, ok := toFloat64(s.Get(key)); ok {
		return f
	}
	return 0
}

// String returns the value of key if it is a string, or "".
func (s *Session) String(key string) string { str, _ := s.Get(key).(string); return str }

// Bool returns the value of key if it is a bool, or false.
func (s *Session) Bool(key string) bool { b, _ := s.Get(key).(bool); return b }

// Time returns the value of key as a time.Time, or the zero time. A time
// comes back from the store as an RFC 3339 string, which Time parses.
func (s *Session) Time(key string) time.Time {
	switch v := s.Get(key).(type) {
	case time.Time:
		return v
	case string:
		t, _ := time.Parse(time.RFC3339Nano, v)
		return t
	}
	return time.Time{}
}

// ID returns the session id, the value the signed cookie carries. It is a
// secret of the visitor's: never log it or show it whole.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.id == "" && s.err == nil {
		s.id = s.newID()
	}
	return s.id
}

func (s *Session) newID() string {
	id, err := newID()
	if err != nil {
		s.fail(&StoreError{Op: "new id", Err: err})
	}
	return id
}

// IsNew reports whether the session was started in this request: the
// request carried no cookie, or one naming a session that has expired or
// been killed.
func (s *Session) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	return s.isNew
}

// RememberMe keeps the cookie in the browser for d, across restarts of
// the browser, and lets the session stay idle for up to d (when d is
// longer than Config.Timeout). Config.Lifetime still applies. Zero goes
// back to the configured CookieMaxAge and Timeout.
func (s *Session) RememberMe(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	s.rec.Remember = int64(d / time.Second)
	s.dirty = true
}

// Kill ends the session (web.py's kill): it is removed from the store at
// once and the response tells the browser to delete the cookie. The
// Session then acts as a new, empty one: values set after Kill start a
// fresh session with a new id in the same response.
func (s *Session) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.err
	}
	if s.m == nil { // detached
		s.rec.Values = make(map[string]any)
		return nil
	}
	for _, key := range []string{s.key, s.oldKey} {
		if key == "" || (key == s.key && s.isNew) {
			continue
		}
		if err := s.m.store.Delete(s.ctx(), key); err != nil {
			err = &StoreError{Op: "delete", Err: err}
			s.fail(err)
			return err
		}
	}
	if s.m.cookies != nil {
		s.dropCookie = s.dropCookie || s.fromCookie
		s.start()
		return nil
	}
	// The lock stays held until the response is committed, so a request
	// of the old session that waits for it finds the session gone.
	s.dropCookie = s.dropCookie || s.fromCookie || !s.isNew
	s.start()
	return nil
}

// RenewID gives the session a new id and keeps its data; the old id stops
// working when the response is committed. Call it when the user logs in,
// so that an id planted before the login (session fixation) is worthless.
func (s *Session) RenewID() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.err
	}
	if s.m == nil {
		return nil
	}
	if s.isNew {
		s.id = "" // a new session gets its id when it is first saved
		return nil
	}
	if s.m.cookies != nil {
		s.id = s.newID()
		s.dirty = true
		return nil
	}
	if s.oldKey == "" {
		s.oldID, s.oldKey = s.id, s.key
	}
	s.id = s.newID()
	s.key = storeKey(s.id)
	s.dirty = true
	return nil
}

// Save writes the session now, if it changed, and releases it, so that a
// long request does not hold up the session's other requests; the
// session is loaded again if it is used after Save. Most handlers never
// call it: the session is saved before the response goes out.
func (s *Session) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || s.reg == nil || s.err != nil {
		return s.err
	}
	return s.commit(http.StatusOK)
}

// release gives back the session's lock, with the data the store now
// holds when it is known, for a request of the session waiting for it. The
// data is dropped here: a later use in the same request loads it again.
// s.mu must be held.
func (s *Session) release() {
	if s.locked {
		var stored []byte
		if s.err == nil && s.key == s.lock.key {
			stored = s.stored
		}
		s.m.unlock(s.lock, stored, s.deadline)
		s.lock, s.locked = heldLock{}, false
	}
	s.stored = nil
	if s.m.cookies != nil {
		return // the data stays: the request's cookie is out of date now
	}
	s.loaded = false
	s.rec = record{}
}

// idle returns the session's idle timeout.
func (s *Session) idle() time.Duration {
	d := s.m.cfg.Timeout
	if r := time.Duration(s.rec.Remember) * time.Second; r > d {
		d = r
	}
	return d
}

// nextDeadline is the deadline of a session used at now.
func (s *Session) nextDeadline(now time.Time) time.Time {
	d := now.Add(s.idle())
	if l := s.m.cfg.Lifetime; l > 0 {
		if end := s.rec.Created.Add(l); end.Before(d) {
			d = end
		}
	}
	return d
}

// cookieMaxAge is how long the browser should keep this session's cookie.
func (s *Session) cookieMaxAge() time.Duration {
	if s.rec.Remember > 0 {
		return time.Duration(s.rec.Remember) * time.Second
	}
	return s.m.cfg.CookieMaxAge
}

// commit saves the session if it changed, sets or deletes its cookie on
// the response headers, and releases its lock. It is called once the
// status of the response is known, before the headers go out; status 500
// and above discard the changes, as a failed request should. s.mu must be
// held.
func (s *Session) commit(status int) error {
	m := s.m
	if s.err != nil {
		// A session can fail while it holds its lock (a Kill whose Delete
		// failed): give the lock back, or the session is locked for good.
		s.release()
		if s.errReported {
			return nil
		}
		if s.dropCookie {
			s.reg.setCookie(m.deleteCookie())
		}
		return s.err
	}
	if !s.loaded {
		if s.dropCookie {
			s.reg.setCookie(m.deleteCookie())
			s.dropCookie = false
		}
		return nil
	}
	defer s.release()
	if m.cookies != nil {
		return s.commitCookie(status)
	}
	headersOut := s.reg.headerSent
	force := m.cfg.SaveEveryRequest && s.used
	now := m.now()
	ctx := s.ctx()
	setCookie := func() {
		s.reg.addSetCookie(m.cookieLine(s.reg.r, m.signer.sign(m.cfg.CookieName, s.id), s.cookieMaxAge(), now))
		s.dropCookie = false
	}
	if s.oldKey != "" && headersOut {
		m.cfg.Logger.Error("session: RenewID after the response started; the new cookie cannot be sent, so the id is kept", "session", m.cfg.Name)
		s.id, s.key, s.oldID, s.oldKey = s.oldID, s.oldKey, "", ""
	}
	switch {
	case s.discards(status):
		// Keep the stored session as it was.
	case s.isNew && (s.dirty || force):
		if headersOut {
			m.cfg.Logger.Error("session: a new session was changed after the response started; its cookie cannot be sent, so it is not saved", "session", m.cfg.Name)
			return nil
		}
		if s.id == "" {
			if s.id = s.newID(); s.err != nil {
				return s.err
			}
		}
		s.key = storeKey(s.id)
		if err := s.write(ctx, s.key, now, Create); err != nil {
			return err
		}
		s.isNew, s.dirty, s.fromCookie = false, false, true
		setCookie()
	case s.oldKey != "":
		if err := s.write(ctx, s.key, now, Create); err != nil {
			return err
		}
		if err := m.store.Delete(ctx, s.oldKey); err != nil {
			s.fail(&StoreError{Op: "delete", Err: err})
			return s.err
		}
		s.oldID, s.oldKey, s.dirty = "", "", false
		setCookie()
	case !s.isNew && (s.dirty || force):
		err := s.write(ctx, s.key, now, Update)
		if errors.Is(err, ErrNotFound) {
			s.gone()
			return nil
		}
		if err != nil {
			return err
		}
		s.dirty = false
		if (force || s.cookieMaxAge() > 0) && !headersOut {
			setCookie()
		}
	case !s.isNew && now.Sub(s.deadline.Add(-s.idle())) >= m.cfg.TouchInterval:
		next := s.nextDeadline(now)
		if !next.After(s.deadline) {
			break // capped by Lifetime: nothing to move
		}
		var err error
		if t, ok := m.store.(Toucher); ok {
			err = t.Touch(ctx, s.key, next)
		} else {
			err = s.write(ctx, s.key, now, Update)
		}
		if errors.Is(err, ErrNotFound) {
			s.gone()
			return nil
		}
		if err != nil {
			s.fail(&StoreError{Op: "touch", Err: err})
			return s.err
		}
		s.deadline = next
		if s.cookieMaxAge() > 0 && !headersOut {
			setCookie() // move the cookie's expiry along with the session's
		}
	}
	if s.dropCookie && !headersOut {
		s.reg.setCookie(m.deleteCookie())
		s.dropCookie = false
	}
	return nil
}

// discards reports whether the changes of this request are dropped: the
// handler failed (status 500 and above, as Django does), or the request is
// a HEAD, which must change nothing even when it runs the GET handler.
func (s *Session) discards(status int) bool {
	return status >= 500 || s.reg.r.Method == http.MethodHead
}

// write encodes and saves the session under key.
func (s *Session) write(ctx context.Context, key string, now time.Time, mode SaveMode) error {
	data, err := encodeRecord(&s.rec)
	if err != nil {
		s.fail(&StoreError{Op: "encode", Err: err})
		return s.err
	}
	next := s.nextDeadline(now)
	if err := s.m.store.Save(ctx, key, data, next, mode); err != nil {
		if errors.Is(err, ErrNotFound) && mode == Update {
			return err
		}
		s.fail(&StoreError{Op: "save", Err: err})
		return s.err
	}
	s.deadline, s.stored = next, data
	return nil
}

// gone handles a session removed from the store while this request used
// it (a Kill or RenewID by another request, or the cleanup): its changes
// are dropped rather than bringing it back. s.mu must be held.
func (s *Session) gone() {
	s.stored = nil
	s.m.cfg.Logger.Info("session: the session was removed while in use; its changes are dropped", "session", s.m.cfg.Name)
	s.dropCookie = true
}
