package session

import "time"

// What both backends do with the session they read.

// verdict says whether a session read from its store or cookie may be
// used in this request.
type verdict uint8

const (
	usable   verdict = iota
	missing          // not found, or unreadable
	outlived         // past its deadline, or older than Config.Lifetime
	movedIP          // used from a new address, with IgnoreChangeIP No
)

// judge returns the verdict on d, the data read for the request's cookie
// (nil when there were none), and its deadline. s.mu must be held.
func (s *Session) judge(d *data, deadline time.Time) verdict {
	m := s.m
	now := m.now()
	switch {
	case d == nil:
		return missing
	case !deadline.After(now), m.cfg.Lifetime > 0 && now.Sub(d.Created) >= m.cfg.Lifetime:
		return outlived
	case !m.ignoreChangeIP && d.IP != "" && d.IP != m.cfg.ClientIP(s.reg.r):
		return movedIP
	}
	return usable
}

// admit makes the session the one read, under id. s.mu must be held.
func (s *Session) admit(id string, d *data, deadline time.Time) {
	s.id, s.rec, s.deadline, s.state = id, *d, deadline, loaded
	s.private = s.private || (s.m.noStore && (len(d.Values) > 0 || len(d.Flashes) > 0))
	if ip := s.m.cfg.ClientIP(s.reg.r); d.IP != ip {
		s.rec.IP = ip // the address follows the client, as in web.py
		s.state = changed
	}
}

// expired handles a cookie that names a session no longer valid: the
// client drops the cookie, and the request gets a fresh session, or the
// expired answer when so configured. s.mu must be held.
func (s *Session) expired(v verdict) {
	s.id = ""
	s.cookie = cookieStale
	switch {
	case v == movedIP:
		s.fail(ErrIPChanged)
	case !s.m.ignoreExpiry:
		s.fail(ErrExpired)
	default:
		s.start()
	}
}

// readCookie looks at the request's session cookies, calling valid with
// each value until it accepts one, and notes what the client holds. It
// reports false when the session failed: a cookie that does not verify,
// with RejectBadCookie. s.mu must be held.
func (s *Session) readCookie(valid func(value string) bool) bool {
	found, bad := s.m.cookie.find(s.reg.r, valid)
	switch {
	case found:
		s.cookie = cookieValid
	case bad:
		s.cookie = cookieStale
	default:
		s.cookie = cookieNone
	}
	if bad && s.m.rejectBadCookie {
		s.fail(ErrBadCookie)
		return false
	}
	return true
}
