package session

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Committing a session is two steps: decide, a pure function of the
// session's state and the facts of the response, says what to do; commit
// does it through the Manager's backend.

// action is what a commit does with the session's stored copy.
type action uint8

const (
	keep   action = iota // write nothing
	create               // save a new session under a new id
	update               // rewrite the session's data
	touch                // move the session's deadline only
	renew                // save under the new id, then delete the old one
)

// cookieAction is what a commit does with the session cookie.
type cookieAction uint8

const (
	leaveCookie cookieAction = iota
	sendCookie
	dropCookie
)

// situation is what decide needs to know besides the state.
type situation struct {
	discard     bool // the request must change nothing: it failed (status 500 and above) or is a HEAD
	force       bool // Config.SaveEveryRequest
	touchDue    bool // the idle deadline is due to move (Config.TouchInterval)
	headersOut  bool // the response has started: no cookie can be sent
	refresh     bool // every write sends the cookie again: it has a MaxAge to move along, or is forced
	inCookie    bool // the cookie holds the data (CookieStore): every write is a new cookie
	staleCookie bool // the client holds a cookie the response must delete
}

// plan is what a commit does.
type plan struct {
	act       action
	cookie    cookieAction
	undoRenew bool   // the renewal cannot be sent: save under the old id
	lost      string // why a change cannot be saved, for the log
}

// decide returns the plan for a session in state st.
func decide(st state, in situation) plan {
	if !st.open() {
		return plan{} // nothing was read since the last commit
	}
	p := plan{act: wanted(st, in)}
	if in.discard {
		p.act = keep
	}
	needsCookie := p.act == create || p.act == renew || (p.act != keep && in.inCookie)
	if in.headersOut && needsCookie {
		p = late(p, in)
	}
	switch {
	case in.headersOut:
	case p.act == create || p.act == renew || (p.act != keep && (in.refresh || in.inCookie)):
		p.cookie = sendCookie
	case in.staleCookie:
		p.cookie = dropCookie
	}
	return p
}

// wanted is the action a state calls for, before the response is
// considered.
func wanted(st state, in situation) action {
	switch st {
	case born:
		return create
	case changed:
		return update
	case renewed:
		return renew
	case fresh:
		if in.force {
			return create
		}
	case loaded:
		if in.force {
			return update
		}
		if in.touchDue {
			return touch
		}
	}
	return keep
}

// late is the plan for a write whose cookie can no longer be sent: a
// renewal keeps its old id, anything else needing a cookie is lost.
func late(p plan, in situation) plan {
	if p.act == renew && !in.inCookie {
		return plan{act: update, undoRenew: true, lost: "RenewID after the response started; the new cookie cannot be sent, so the id is kept"}
	}
	what := "a new session was changed after the response started; its cookie cannot be sent, so it is not saved"
	if in.inCookie {
		what = "a session kept in its cookie was changed after the response started; its cookie cannot be sent"
	}
	return plan{act: keep, lost: what}
}

// situation returns the facts of this commit.
func (s *Session) situation(status int, now time.Time) situation {
	m := s.m
	return situation{
		discard:     status >= 500 || s.reg.r.Method == http.MethodHead,
		force:       m.cfg.SaveEveryRequest,
		touchDue:    s.touchDue(now),
		headersOut:  s.reg.headerSent,
		refresh:     s.cookieMaxAge() > 0 || m.cfg.SaveEveryRequest,
		inCookie:    m.backend.inCookie(),
		staleCookie: s.cookie == cookieStale,
	}
}

// errGone is what a backend's save returns for a session removed from
// the store while this request used it.
var errGone = errors.New("session: removed while in use")

// commit saves the session as decide says, sets or deletes its cookie on
// the response, and releases the session. It is called once the status
// of the response is known, before the headers go out; status 500 and
// above discard the changes, as a failed request should. s.mu must be
// held.
func (s *Session) commit(status int) error {
	// A session can fail while it holds its lock (a Kill whose Delete
	// failed): release gives the lock back in every case.
	defer s.release()
	m := s.m
	if s.state == failed {
		if s.cookie == cookieStale && !s.reg.headerSent {
			s.reg.addSetCookie(m.cookie.deletion)
		}
		return s.err
	}
	now := m.now()
	p := decide(s.state, s.situation(status, now))
	if p.lost != "" {
		m.cfg.Logger.Error("session: "+p.lost, "session", m.cfg.Name)
	}
	if p.undoRenew {
		s.id, s.oldID = s.oldID, ""
	}
	if err := s.save(p.act, now); errors.Is(err, errGone) {
		m.cfg.Logger.Info("session: the session was removed while in use; its changes are dropped", "session", m.cfg.Name)
		p.cookie = dropCookie
		if s.reg.headerSent {
			p.cookie = leaveCookie
		}
	} else if err != nil {
		s.fail(err)
		return s.err
	}
	return s.setCookie(p.cookie, now)
}

// save carries out act through the backend.
func (s *Session) save(act action, now time.Time) error {
	if act == keep {
		return nil
	}
	if s.id == "" {
		if s.id = s.newID(); s.err != nil {
			return s.err
		}
	}
	return s.m.backend.save(s, act, s.nextDeadline(now))
}

// setCookie puts the cookie action on the response.
func (s *Session) setCookie(act cookieAction, now time.Time) error {
	m := s.m
	switch act {
	case sendCookie:
		value, err := m.backend.cookieValue(s)
		if err != nil {
			s.fail(&StoreError{Op: "encode", Err: err})
			return s.err
		}
		// Serialised once: its length is what the browser must keep.
		line := m.cookie.line(s.reg.r, value, s.cookieMaxAge(), now)
		if n := len(line); n > MaxCookieSize {
			s.fail(&StoreError{Op: "save", Err: fmt.Errorf("%w: the session cookie %q would be %d bytes; browsers keep at most %d: keep less in the session, or use a server-side store",
				ErrCookieTooLarge, m.cfg.CookieName, n, MaxCookieSize)})
			return s.err
		}
		s.reg.addSetCookie(line)
		s.cookie = cookieValid
	case dropCookie:
		s.reg.addSetCookie(m.cookie.deletion)
		s.cookie = cookieNone
	}
	return nil
}

// release gives the session back after its commit: the backend keeps or
// forgets its data, and the next use opens it again.
func (s *Session) release() {
	s.m.backend.release(s)
	s.state = released
}

// idle returns the session's idle timeout.
func (s *Session) idle() time.Duration {
	d := s.m.cfg.Timeout
	if r := time.Duration(s.rec.Remember) * time.Second; r > d {
		d = r
	}
	return d
}

// nextDeadline is the deadline of a session used at now. The end of its
// Lifetime is cut to a whole second, the resolution of a cookie's
// deadline, so that a capped deadline read back from a cookie equals it.
func (s *Session) nextDeadline(now time.Time) time.Time {
	d := now.Add(s.idle())
	if l := s.m.cfg.Lifetime; l > 0 {
		if end := s.rec.Created.Add(l).Truncate(time.Second); end.Before(d) {
			d = end
		}
	}
	return d
}

// touchDue reports whether an unchanged session's deadline is due to
// move: TouchInterval has passed since it was last set, and Lifetime does
// not hold it where it is.
func (s *Session) touchDue(now time.Time) bool {
	return now.Sub(s.deadline.Add(-s.idle())) >= s.m.cfg.TouchInterval &&
		s.nextDeadline(now).After(s.deadline)
}

// cookieMaxAge is how long the browser should keep this session's cookie.
func (s *Session) cookieMaxAge() time.Duration {
	if s.rec.Remember > 0 {
		return time.Duration(s.rec.Remember) * time.Second
	}
	return s.m.cfg.CookieMaxAge
}
