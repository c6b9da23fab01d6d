package session

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Manager loads and saves the sessions of one cookie in one Store (web.py's
// Session(app, store, initializer)). Install its Middleware around the
// handlers that use sessions; they reach their session with FromContext,
// or c.Session() in the web framework.
type Manager struct {
	cfg     Config
	store   Store
	cookies *CookieStore // the store, when it keeps sessions in cookies
	signer  *signer
	locks   *lockTable
	now     func() time.Time

	rejectBadCookie, ignoreExpiry, ignoreChangeIP, httpOnly bool
	line                                                    cookieLine

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
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
		store:           store,
		locks:           newLockTable(),
		now:             time.Now,
		rejectBadCookie: cfg.RejectBadCookie.or(true),
		ignoreExpiry:    cfg.IgnoreExpiry.or(true),
		ignoreChangeIP:  cfg.IgnoreChangeIP.or(true),
		httpOnly:        cfg.HTTPOnly.or(true),
		stop:            make(chan struct{}),
		done:            make(chan struct{}),
	}
	m.line = newCookieLine(m)
	if !cfg.Disabled {
		keys, err := resolveKeys(&cfg, store, cfg.Logger)
		if err != nil {
			return nil, err
		}
		m.signer = newSigner(keys)
	}
	m.cookies, _ = store.(*CookieStore)
	_, selfCleaning := store.(SelfCleaning)
	if cfg.CleanupInterval > 0 && !cfg.Disabled && m.cookies == nil && !selfCleaning {
		go m.cleanupLoop()
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

func (m *Manager) cleanupLoop() {
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
			n, err := m.store.Cleanup(ctx, m.now())
			switch {
			case err != nil && ctx.Err() == nil:
				m.cfg.Logger.Warn("session: cleanup of expired sessions failed", "session", m.cfg.Name, "err", err)
			case n > 0:
				m.cfg.Logger.Debug("session: removed expired sessions", "session", m.cfg.Name, "count", n)
			}
		}
	}
}

// heldLock is a session lock a request holds: the in-process one and,
// when the store is a Locker, the store's, which the keyLock keeps.
type heldLock struct {
	key string
	l   *keyLock
}

// lock takes the in-process lock of key, then the store's own lock when
// the store offers one (see Locker) and this process does not hold it
// already, waiting LockTimeout in all.
func (m *Manager) lock(ctx context.Context, key string) (heldLock, error) {
	locker, ok := m.store.(Locker)
	var start time.Time
	if ok {
		start = time.Now() // both locks share one LockTimeout
	}
	l, err := m.locks.lock(ctx, key, m.cfg.LockTimeout)
	if err != nil {
		return heldLock{}, err
	}
	h := heldLock{key: key, l: l}
	if !ok || l.store != nil {
		return h, nil
	}
	lctx, cancel := context.WithTimeout(ctx, m.cfg.LockTimeout-time.Since(start))
	defer cancel()
	release, err := locker.Lock(lctx, key)
	if err != nil {
		m.locks.unlock(key, l, nil, time.Time{})
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return heldLock{}, ErrLockTimeout
		}
		return heldLock{}, &StoreError{Op: "lock", Err: err}
	}
	l.store, l.since = release, time.Now()
	return h, nil
}

// unlock releases what lock took. The store's lock, and data, the
// session as the store now holds it (nil when unknown), may go to the next
// request of this process that waits for the key (see lockTable.unlock).
func (m *Manager) unlock(h heldLock, data []byte, deadline time.Time) {
	m.locks.unlock(h.key, h.l, data, deadline)
}

// readCookie returns the session id of the first valid session cookie of
// r. bad reports a non-empty cookie of that name that did not verify when
// no valid one came with it. (Browsers send several cookies of one name
// when their Path or Domain differ; one planted on a parent domain must not
// lock a visitor out.)
func (m *Manager) readCookie(r *http.Request) (id string, bad bool) {
	for _, ck := range r.CookiesNamed(m.cfg.CookieName) {
		if ck.Value == "" {
			continue
		}
		if id, ok := m.signer.parseCookie(m.cfg.CookieName, ck.Value); ok {
			return id, false
		}
		bad = true
	}
	return "", bad
}

// cookie returns the session cookie carrying value.
func (m *Manager) cookie(r *http.Request, value string, maxAge time.Duration, now time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     m.cfg.CookieName,
		Value:    value,
		Path:     m.cfg.Path,
		Domain:   m.cfg.Domain,
		HttpOnly: m.httpOnly,
		Secure:   m.cfg.Secure.or(r.TLS != nil),
		SameSite: m.cfg.SameSite,
	}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
		ck.Expires = now.Add(maxAge).UTC()
	}
	return ck
}

// cookieLine is the session cookie's Set-Cookie line cut around the
// parts that change from one response to the next, each serialised once
// by net/http, so that a response only appends the value and the dates.
type cookieLine struct {
	head  string    // "name="
	where string    // "; Path=/; Domain=example.com"
	flags [2]string // "; HttpOnly; SameSite=Lax", without and with Secure
}

func newCookieLine(m *Manager) cookieLine {
	name := m.cfg.CookieName
	tail := func(ck *http.Cookie) string { return ck.String()[len(name)+1:] }
	l := cookieLine{head: name + "=", where: tail(&http.Cookie{Name: name, Path: m.cfg.Path, Domain: m.cfg.Domain})}
	for i, secure := range []bool{false, true} {
		l.flags[i] = tail(&http.Cookie{Name: name, HttpOnly: m.httpOnly, Secure: secure, SameSite: m.cfg.SameSite})
	}
	return l
}

// cookieLine returns the Set-Cookie line of m.cookie(r, value, maxAge,
// now), as its String method would write it.
func (m *Manager) cookieLine(r *http.Request, value string, maxAge time.Duration, now time.Time) string {
	for i := 0; i < len(value); i++ {
		if c := value[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return m.cookie(r, value, maxAge, now).String() // net/http decides
		}
	}
	l := &m.line
	secure := 0
	if m.cfg.Secure.or(r.TLS != nil) {
		secure = 1
	}
	var b strings.Builder // one allocation: the line
	b.Grow(len(l.head) + len(value) + len(l.where) + len(l.flags[secure]) + len("; Expires=Mon, 02 Jan 2006 15:04:05 GMT; Max-Age=2147483647"))
	b.WriteString(l.head)
	b.WriteString(value)
	b.WriteString(l.where)
	if maxAge > 0 { // as m.cookie sets Expires and MaxAge, and String writes them
		var buf [len(http.TimeFormat)]byte
		if expires := now.Add(maxAge).UTC(); expires.Year() >= 1601 {
			b.WriteString("; Expires=")
			b.Write(expires.AppendFormat(buf[:0], http.TimeFormat))
		}
		switch secs := int(maxAge / time.Second); {
		case secs > 0:
			b.WriteString("; Max-Age=")
			b.Write(strconv.AppendInt(buf[:0], int64(secs), 10))
		case secs < 0: // overflowed int
			b.WriteString("; Max-Age=0")
		}
	}
	b.WriteString(l.flags[secure])
	return b.String()
}

// deleteCookie returns a cookie that makes the browser drop the session
// cookie: same name, Domain and Path, Max-Age=0 and an Expires in the past.
func (m *Manager) deleteCookie() *http.Cookie {
	return &http.Cookie{
		Name:     m.cfg.CookieName,
		Path:     m.cfg.Path,
		Domain:   m.cfg.Domain,
		MaxAge:   -1,
		Expires:  time.Unix(0, 0).UTC(),
		HttpOnly: m.httpOnly,
		Secure:   m.cfg.Secure == Yes,
		SameSite: m.cfg.SameSite,
	}
}

// registryKey is the context key of a request's registry.
type registryKey struct{}

// registry holds the sessions of one request, for every Manager whose
// middleware the request passed through. One hook on the response writer
// commits them all before the headers go out.
type registry struct {
	mu         sync.Mutex
	r          *http.Request
	w          http.ResponseWriter // the writer below the hook
	managers   []*Manager
	sessions   []*Session
	headerSent bool
	setCookies bool // a session cookie was set or deleted

	// Inline room for the common case, so that a request allocates one
	// registry and nothing more for its bookkeeping.
	hook          hookWriter
	firstManagers [2]*Manager
	firstSessions [1]*Session
	first         Session
}

func (reg *registry) setCookie(ck *http.Cookie) {
	reg.addSetCookie(ck.String())
}

// addSetCookie adds a serialised cookie to the response.
func (reg *registry) addSetCookie(line string) {
	if line != "" {
		reg.w.Header().Add("Set-Cookie", line)
		reg.setCookies = true
	}
}

// session returns the request's session of the manager called name.
func (reg *registry) session(name string) *Session {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, s := range reg.sessions {
		if s.m.cfg.Name == name {
			return s
		}
	}
	for _, m := range reg.managers {
		if m.cfg.Name != name {
			continue
		}
		if m.cfg.Disabled {
			return detached(nil)
		}
		var s *Session
		if len(reg.sessions) == 0 {
			s = &reg.first
			reg.sessions = reg.firstSessions[:0]
		} else {
			s = new(Session)
		}
		s.m, s.reg = m, reg
		reg.sessions = append(reg.sessions, s)
		return s
	}
	return nil
}

// commit commits every session of the request, in the order of their
// names, and returns the error the response must answer with, if any.
func (reg *registry) commit(status int) error {
	reg.mu.Lock()
	sessions := reg.sessions
	if len(sessions) > 1 {
		sessions = slices.Clone(sessions)
		slices.SortFunc(sessions, func(a, b *Session) int { return strings.Compare(a.m.cfg.Name, b.m.cfg.Name) })
	}
	reg.mu.Unlock()
	var worst error
	used := false
	for _, s := range sessions {
		s.mu.Lock()
		used = used || s.used
		err := s.commit(status)
		if err != nil {
			s.errReported = true
		}
		s.mu.Unlock()
		if severity(err) > severity(worst) {
			worst = err
		}
	}
	if !reg.headerSent {
		h := reg.w.Header()
		if used {
			h.Add("Vary", "Cookie")
		}
		if reg.setCookies {
			// A response that carries a session id must not be cached.
			h.Set("Cache-Control", "no-store")
		}
	}
	return worst
}

// abandon releases every lock without saving, after a panic.
func (reg *registry) abandon() {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, s := range reg.sessions {
		s.mu.Lock()
		if s.loaded {
			s.release()
		}
		s.mu.Unlock()
	}
}

// severity orders the errors a request can end with.
func severity(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrLockTimeout):
		return 4
	case errors.Is(err, ErrBadCookie):
		return 3
	case errors.Is(err, ErrExpired):
		return 2
	}
	return 5 // a StoreError, ErrNoMiddleware: the server's fault
}

// Middleware loads sessions lazily for next and saves them before the
// response headers go out. A request that never asks for its session does
// no store I/O and gets no cookie. If a session fails (a bad cookie, a
// store that is down), the handler's response is replaced by the answer
// of Config.ErrorHandler.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reg, ok := r.Context().Value(registryKey{}).(*registry); ok {
			reg.mu.Lock()
			if !slices.Contains(reg.managers, m) {
				reg.managers = append(reg.managers, m)
			}
			reg.mu.Unlock()
			next.ServeHTTP(w, r)
			return
		}
		reg := &registry{w: w}
		reg.managers = append(reg.firstManagers[:0], m)
		r = r.WithContext(context.WithValue(r.Context(), registryKey{}, reg))
		reg.r = r
		hw := &reg.hook
		hw.ResponseWriter, hw.reg = w, reg
		defer func() {
			if v := recover(); v != nil {
				reg.abandon()
				panic(v)
			}
		}()
		next.ServeHTTP(hw, r)
		hw.finish()
	})
}

// FromContext returns the session of the request whose context is ctx,
// for handlers behind Manager.Middleware. It never returns nil: without a
// Manager, it returns a session that lives only in memory and whose Err is
// ErrNoMiddleware.
func FromContext(ctx context.Context) *Session { return Named(ctx, "") }

// Named returns the request's session of the Manager whose Config.Name is
// name, for applications with several sessions per request.
func Named(ctx context.Context, name string) *Session {
	reg, ok := ctx.Value(registryKey{}).(*registry)
	if ok {
		if s := reg.session(name); s != nil {
			return s
		}
	}
	return detached(ErrNoMiddleware)
}

// hookWriter commits the request's sessions when the handler starts its
// response, so cookies are set before the headers go out, and replaces the
// response when a session failed.
type hookWriter struct {
	http.ResponseWriter
	reg        *registry
	wrote      bool
	suppressed bool // the handler's response was replaced
}

func (hw *hookWriter) WriteHeader(code int) {
	if hw.wrote {
		if !hw.suppressed {
			hw.ResponseWriter.WriteHeader(code) // let net/http report the superfluous call
		}
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		hw.ResponseWriter.WriteHeader(code) // informational: the real response follows
		return
	}
	hw.wrote = true
	err := hw.reg.commit(code)
	hw.reg.headerSent = true
	if err != nil {
		hw.suppressed = true
		hw.reg.answer(err)
		return
	}
	hw.ResponseWriter.WriteHeader(code)
}

func (hw *hookWriter) Write(b []byte) (int, error) {
	if !hw.wrote {
		hw.WriteHeader(http.StatusOK)
	}
	if hw.suppressed {
		return len(b), nil
	}
	return hw.ResponseWriter.Write(b)
}

// Flush commits the sessions if the response has not started, then
// flushes, so streaming handlers work.
func (hw *hookWriter) Flush() {
	if !hw.wrote {
		hw.WriteHeader(http.StatusOK)
	}
	if !hw.suppressed {
		_ = http.NewResponseController(hw.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (hw *hookWriter) Unwrap() http.ResponseWriter { return hw.ResponseWriter }

// finish commits what the handler left: the whole response if it wrote
// nothing, and sessions it used again after the headers went out.
func (hw *hookWriter) finish() {
	if !hw.wrote {
		hw.WriteHeader(http.StatusOK)
		return
	}
	if err := hw.reg.commit(http.StatusOK); err != nil && !errors.Is(err, ErrBadCookie) && !errors.Is(err, ErrExpired) {
		hw.reg.managers[0].cfg.Logger.Error("session: a session used after the response started could not be saved", "err", err)
	}
}

// answer replaces the handler's response with the one for err.
func (reg *registry) answer(err error) {
	h := reg.w.Header()
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Disposition", "Location", "ETag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	var m *Manager
	for _, s := range reg.sessions {
		if s.err == err {
			m = s.m
		}
	}
	if m == nil {
		m = reg.managers[0]
	}
	if m.cfg.ErrorHandler != nil {
		m.cfg.ErrorHandler(reg.w, reg.r, err)
		return
	}
	status, body := http.StatusInternalServerError, "internal server error"
	switch {
	case errors.Is(err, ErrLockTimeout):
		status, body = http.StatusServiceUnavailable, "session busy, try again"
		h.Set("Retry-After", "1")
	case errors.Is(err, ErrBadCookie):
		status, body = http.StatusBadRequest, "Bad Cookie"
	case errors.Is(err, ErrExpired):
		status, body = m.cfg.ExpiredStatus, m.cfg.ExpiredMessage
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	reg.w.WriteHeader(status)
	_, _ = reg.w.Write([]byte(body))
}
