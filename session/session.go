package session

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gowebpy/web/session/internal/record"
)

// Session is the data of one visitor, loaded on first use in a request and
// saved before the response goes out. Its methods are safe for concurrent
// use by the goroutines of one request.
//
// Values are kept as JSON. Set accepts anything JSON can encode; after a
// round trip through the store numbers come back as json.Number, so read
// them with the typed getters (Int, Float, ...), which accept every form.
type Session struct {
	mu    sync.Mutex
	m     *Manager  // nil for a detached session
	reg   *registry // nil for a detached session
	state state
	err   error // why the session failed; see the Err* variables

	cookie   cookieState // what the client holds
	private  bool        // data the client's session holds were read: the response is private
	id       string      // "" until a new session needs one
	key      string      // the store key of the id the stored copy is under (renewed: the old id's)
	oldID    string      // renewed: the id before RenewID
	rec      data
	deadline time.Time // the deadline the store (or the cookie) holds
	stored   []byte    // the data the store holds under id, when known
	lock     *keyLock  // held from open to release, for a session kept in a Store
	flashed  []Message // the flashes read in this request
	added    []Message // the messages added in this request
}

// data is what a store keeps for one session.
type data = record.Record[Message]

// state is where a Session is in its request. Its life:
//
//	untouched --first use--> fresh     no valid cookie, or one naming a session that is gone (IgnoreExpiry)
//	untouched --first use--> loaded    the cookie names a live session: its lock taken, its data read
//	untouched --first use--> failed    bad cookie (RejectBadCookie), expired (IgnoreExpiry No), store or lock failure
//	fresh     --a change---> born      Set, Delete, Flash, RememberMe, or reading ID
//	loaded    --a change---> changed
//	loaded, changed --RenewID--> renewed
//	any but failed  --Kill-----> fresh (the stored copy deleted at once; the lock stays held)
//	any       --store error--> failed
//	any but untouched --commit--> released: the lock given back; a later use opens it again
//
// Commit (commit.go) decides from the state alone, and runs once per
// session per request: when the response starts, or, for a session first
// used after that, when the handler returns; Save commits early.
type state uint8

const (
	untouched state = iota // no data read: no I/O done, no lock held
	fresh                  // a new session, not stored; nothing to save yet
	born                   // a new session with something to save
	loaded                 // read from the store, unchanged so far
	changed                // read from the store and changed
	renewed                // changed and given a new id (RenewID)
	failed                 // unusable: err says why
	released               // committed; the next use opens it again
)

// open reports whether the session holds data of this request that
// commit has yet to deal with.
func (st state) open() bool { return st != untouched && st != released }

// cookieState is what the client holds for the session.
type cookieState uint8

const (
	cookieUnread cookieState = iota // the request's cookie has not been looked at
	cookieNone                      // no cookie for this session
	cookieValid                     // a valid cookie naming this session, sent or received
	cookieStale                     // a cookie the response must delete: bad, expired, killed
)

// detached returns a session that belongs to no request: it lives in
// memory and is never saved. err is what Err reports.
func detached(err error) *Session {
	s := &Session{state: fresh, err: err, rec: data{Values: make(map[string]any)}}
	if err != nil {
		s.state = failed
	}
	return s
}

// ensure opens the session if it is not open yet. s.mu must be held.
func (s *Session) ensure() {
	if s.err == nil && !s.state.open() {
		s.m.backend.open(s)
	}
}

// changed records a change of the session's data. s.mu must be held.
func (s *Session) change() {
	switch s.state {
	case fresh:
		s.state = born
	case loaded:
		s.state = changed
	}
}

// fail records err; the request will answer with it.
func (s *Session) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.state = failed
	if s.rec.Values == nil {
		s.rec.Values = make(map[string]any)
	}
	if s.m != nil {
		s.m.logFailure(s.reg.r.Context(), err)
	}
}

// start makes the session a new, empty one with the initializer's values.
// Nothing is stored until it changes. s.mu must be held.
func (s *Session) start() {
	m := s.m
	s.id, s.key, s.oldID, s.stored, s.state = "", "", "", nil, fresh
	s.rec = data{Created: m.now(), IP: m.cfg.ClientIP(s.reg.r)}
	s.rec.Values, _ = record.Copy(m.cfg.Initializer) // checked by New
	if m.cfg.InitFunc != nil {
		s.mu.Unlock()
		m.cfg.InitFunc(s)
		s.mu.Lock()
		if s.state == born {
			s.state = fresh // the initializer's values are not a change
		}
	}
}

// Err returns why the session could not be used in this request, or nil.
// The request then answers with that error instead of the handler's
// response (see the Err* variables); a handler can check Err to skip work
// that would be discarded. Err opens the session.
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
	if err := record.CheckValue(value); err != nil {
		return fmt.Errorf("session: value for key %q cannot be stored: %w", key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.err
	}
	s.rec.Values[key] = value
	s.change()
	return nil
}

// Delete removes key.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if _, ok := s.rec.Values[key]; ok {
		delete(s.rec.Values, key)
		s.change()
	}
}

// ID returns the session id, the value the signed cookie carries. Reading
// it makes a new session stick, as JustPy's request.session_id does: it is
// saved and its cookie sent, so the next request has the same id. It is a
// secret of the visitor's: never log it or show it whole.
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensure()
	if s.err != nil {
		return s.id
	}
	if s.id == "" {
		s.id = s.newID()
	}
	if s.state == fresh && s.m != nil {
		s.state = born
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
	return s.state == fresh || s.state == born
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
	s.change()
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
	if err := s.m.backend.kill(s); err != nil {
		s.fail(err)
		return err
	}
	// The lock stays held until the response is committed, so a request
	// of the old session that waits for it finds the session gone.
	if s.cookie == cookieValid {
		s.cookie = cookieStale
	}
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
	switch {
	case s.err != nil:
		return s.err
	case s.state == fresh || s.state == born:
		s.id = "" // a new session gets its id when it is first saved
	case s.m != nil:
		if s.oldID == "" {
			s.oldID = s.id
		}
		s.id = s.newID()
		s.state = renewed
	}
	return s.err
}

// Save writes the session now, if it changed, and releases it, so that a
// long request does not hold up the session's other requests; the
// session is opened again if it is used after Save. Most handlers never
// call it: the session is saved before the response goes out.
func (s *Session) Save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || s.err != nil || !s.state.open() {
		return s.err
	}
	return s.commit(200)
}
