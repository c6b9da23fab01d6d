package session

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SetSignedCookie sets a cookie whose value the client can read but not
// change (tipfy's SecureCookieMixin, for values that are not session
// data: a theme, a "seen the banner" flag). ck.Value may be any string; it
// is signed with the Manager's SecretKeys together with the cookie's name
// and, when ck has MaxAge or Expires, its expiry, so an old copy is refused
// once it has expired. Read it back with SignedCookie.
func (m *Manager) SetSignedCookie(w http.ResponseWriter, ck *http.Cookie) error {
	if m.signer == nil {
		return errors.New("session: sessions are disabled, so there is no key to sign cookies with")
	}
	var exp int64
	switch {
	case ck.MaxAge > 0:
		exp = m.now().Add(time.Duration(ck.MaxAge) * time.Second).Unix()
	case ck.MaxAge == 0 && !ck.Expires.IsZero():
		exp = ck.Expires.Unix()
	}
	body := base64.RawURLEncoding.EncodeToString([]byte(ck.Value)) + "." + strconv.FormatInt(exp, 10)
	out := *ck
	out.Value = m.signer.sign(ck.Name, body)
	if err := out.Valid(); err != nil {
		return fmt.Errorf("session: signed cookie %q: %w", ck.Name, err)
	}
	http.SetCookie(w, &out)
	return nil
}

// SignedCookie returns the value of a cookie set with SetSignedCookie. It
// returns http.ErrNoCookie when the request has none, and an error that
// wraps ErrBadCookie when the cookie was changed, signed with a key no
// longer listed, or has expired.
func (m *Manager) SignedCookie(r *http.Request, name string) (string, error) {
	if m.signer == nil {
		return "", errors.New("session: sessions are disabled, so there is no key to verify cookies with")
	}
	cookies := r.CookiesNamed(name)
	if len(cookies) == 0 {
		return "", http.ErrNoCookie
	}
	for _, ck := range cookies {
		if v, ok := m.verifySigned(name, ck.Value); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%w: signed cookie %q does not verify", ErrBadCookie, name)
}

func (m *Manager) verifySigned(name, value string) (string, bool) {
	if len(value) > MaxCookieSize {
		return "", false
	}
	body, ok := m.signer.verify(name, value)
	if !ok {
		return "", false
	}
	enc, expText, ok := strings.Cut(body, ".")
	if !ok {
		return "", false
	}
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || (exp != 0 && exp <= m.now().Unix()) {
		return "", false
	}
	v, err := strictB64.DecodeString(enc)
	if err != nil {
		return "", false
	}
	return string(v), true
}

// ManagerOf returns the Manager called name that serves the request whose
// context is r's; name "" is the default manager. It returns nil when
// there is none, which is how a framework tells that the middleware is
// missing without opening a session.
func ManagerOf(r *http.Request, name string) *Manager {
	reg, ok := r.Context().Value(registryKey{}).(*registry)
	if !ok {
		return nil
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, m := range reg.managers {
		if m.cfg.Name == name {
			return m
		}
	}
	return nil
}
