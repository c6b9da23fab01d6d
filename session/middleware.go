package session

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Middleware loads sessions lazily for next and saves them before the
// response headers go out. A request that never asks for its session does
// no store I/O and gets no cookie. If a session fails (a bad cookie, a
// store that is down), the handler's response is replaced by the answer
// of Config.ErrorHandler.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reg, ok := r.Context().Value(registryKey{}).(*registry); ok {
			if !reg.add(m) { // an inner Manager: its sessions join the outer registry
				m.nameTaken.Do(func() {
					m.cfg.Logger.Error("session: another Manager with this Config.Name serves the request first, so this one's sessions are never used; give each Manager its own Name", "session", m.cfg.Name)
				})
			}
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
// for handlers behind Manager.Middleware. It never returns nil and does
// no I/O: the session is read on first use. Without a Manager, it returns
// a session that lives only in memory and whose Err is ErrNoMiddleware.
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

// add registers an inner Manager, and reports false when another Manager
// of the same name is registered already: handlers asking for that name
// get the other's sessions.
func (reg *registry) add(m *Manager) bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if slices.Contains(reg.managers, m) {
		return true
	}
	for _, o := range reg.managers {
		if o.cfg.Name == m.cfg.Name {
			return false
		}
	}
	reg.managers = append(reg.managers, m)
	return true
}

// addSetCookie adds a serialised cookie to the response.
func (reg *registry) addSetCookie(line string) {
	reg.w.Header().Add("Set-Cookie", line)
	reg.setCookies = true
}

// session returns the request's session of the manager called name, a
// handle that has read nothing yet.
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

// sorted returns the request's sessions in the order of their names, the
// order in which commit gives their locks back. They were taken in the
// order the handler first used them, which no Manager can change without
// loading a session the handler may never use (see Config.Name).
func (reg *registry) sorted() []*Session {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	sessions := reg.sessions
	if len(sessions) > 1 {
		sessions = slices.Clone(sessions)
		slices.SortFunc(sessions, func(a, b *Session) int { return strings.Compare(a.m.cfg.Name, b.m.cfg.Name) })
	}
	return sessions
}

// commit commits every session that is open, and returns the error the
// response must answer with, if any.
func (reg *registry) commit(status int) error {
	var worst error
	used, private := false, false
	for _, s := range reg.sorted() {
		s.mu.Lock()
		used = used || s.state != untouched
		private = private || s.private
		if s.state.open() {
			worst = worse(worst, s.commit(status))
		}
		s.mu.Unlock()
	}
	if !reg.headerSent {
		h := reg.w.Header()
		if used {
			h.Add("Vary", "Cookie")
		}
		switch {
		case reg.setCookies:
			// A response that carries a session id must not be cached.
			h.Set("Cache-Control", "no-store")
		case private && h.Get("Cache-Control") == "":
			h.Set("Cache-Control", "no-store")
		}
	}
	return worst
}

// abandon releases every session without saving, after a panic.
func (reg *registry) abandon() {
	for _, s := range reg.sorted() {
		s.mu.Lock()
		if s.state.open() {
			s.release()
		}
		s.mu.Unlock()
	}
}

// fail answers the request with err in place of the handler's response.
func (reg *registry) fail(err error) {
	h := reg.w.Header()
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Content-Disposition", "Location", "ETag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	m := reg.managers[0]
	for _, s := range reg.sessions {
		if s.err == err {
			m = s.m
		}
	}
	if m.cfg.ErrorHandler != nil {
		m.cfg.ErrorHandler(reg.w, reg.r, err)
		return
	}
	m.answer(reg.w, err)
}

// hookWriter commits the request's sessions when the handler starts its
// response, so cookies are set before the headers go out, and replaces the
// response when a session failed.
type hookWriter struct {
	http.ResponseWriter
	reg        *registry
	wrote      bool
	status     int  // the status the handler sent, once wrote
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
	hw.wrote, hw.status = true, code
	err := hw.reg.commit(code)
	hw.reg.headerSent = true
	if err != nil {
		hw.suppressed = true
		hw.reg.fail(err)
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
// nothing, else the sessions first used after the headers went out, with
// the status that was sent (a 5xx discards their changes too), whose
// failure can only be logged.
func (hw *hookWriter) finish() {
	if !hw.wrote {
		hw.WriteHeader(http.StatusOK)
		return
	}
	if err := hw.reg.commit(hw.status); err != nil && !IsClientError(err) {
		hw.reg.managers[0].cfg.Logger.Error("session: a session used after the response started could not be saved", "err", err)
	}
}
