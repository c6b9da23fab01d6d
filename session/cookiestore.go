package session

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// CookieStore keeps the whole session in the cookie instead of on the
// server (tipfy's securecookie backend; the default of Rails and Flask).
// The data is signed with the Manager's SecretKeys and, when the store has
// encryption keys, encrypted with AES-GCM, so the client can neither read
// nor change it. It is encoded once: JSON, then AES-GCM, then HMAC-SHA256,
// then base64url.
//
// What the cookie cannot do, by its nature:
//   - A session cannot be revoked on the server: Kill deletes the cookie in
//     the browser that asks, but a copy of the cookie stays valid until its
//     expiry, which is inside the signed data (Config.Timeout, refreshed
//     when the session is used, and Config.Lifetime). To log everyone out,
//     change the SecretKeys.
//   - Browsers keep at most 4096 bytes per cookie: a session that would
//     not fit is refused when it is saved, with an error naming its size.
//   - Concurrent requests of one visitor each carry their own copy of the
//     cookie, and the last response wins: updates made by requests that
//     overlap can be lost, whatever the server does. Use a server-side
//     store for counters that must be exact.
type CookieStore struct {
	aeads []cipher.AEAD
}

// NewCookieStore returns a CookieStore. With no key the data is signed
// but readable by the client (base64 JSON, like tipfy and Flask); with
// keys it is encrypted too. Keys are 16, 24 or 32 bytes (AES-128, -192,
// -256); the first encrypts, every key decrypts, so keys rotate like
// SecretKeys.
func NewCookieStore(encryptionKeys ...[]byte) (*CookieStore, error) {
	cs := &CookieStore{}
	for i, k := range encryptionKeys {
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("session: CookieStore encryption key %d: %w (use 16, 24 or 32 random bytes)", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("session: CookieStore encryption key %d: %w", i, err)
		}
		cs.aeads = append(cs.aeads, aead)
	}
	return cs, nil
}

// Encrypted reports whether the store encrypts its cookies.
func (cs *CookieStore) Encrypted() bool { return len(cs.aeads) > 0 }

var errCookieStoreIO = errors.New("session: a CookieStore keeps sessions in cookies; it has no server-side entries")

// Load implements Store; a CookieStore holds nothing on the server.
func (cs *CookieStore) Load(context.Context, string) ([]byte, time.Time, bool, error) {
	return nil, time.Time{}, false, nil
}

// Save implements Store; the Manager never calls it for a CookieStore.
func (cs *CookieStore) Save(context.Context, string, []byte, time.Time, SaveMode) error {
	return errCookieStoreIO
}

// Delete implements Store; there is nothing on the server to delete.
func (cs *CookieStore) Delete(context.Context, string) error { return nil }

// Cleanup implements Store; expired cookies are refused when they are
// read, so there is nothing to clean.
func (cs *CookieStore) Cleanup(context.Context, time.Time) (int, error) { return 0, nil }

// MaxCookieSize is the most a browser is sure to keep of one cookie: its
// name, value and attributes together (RFC 6265, section 6.1).
const MaxCookieSize = 4096

// cookieEnvelope is what a CookieStore cookie carries.
type cookieEnvelope struct {
	ID       string `json:"id"`
	Deadline int64  `json:"exp"` // Unix seconds; the cookie is refused after it
	Rec      record `json:"s"`
}

// Cookie value layout, after base64url decoding:
//
//	format byte ('p' plain JSON, 'e' AES-GCM nonce+ciphertext) | body | HMAC-SHA256(name, format|body)
const (
	formatPlain     = 'p'
	formatEncrypted = 'e'
)

// encode returns the cookie value for env.
func (cs *CookieStore) encode(sg *signer, name string, env *cookieEnvelope) (string, error) {
	plain, err := appendEnvelope(make([]byte, 0, 256), env)
	if err != nil {
		return "", err
	}
	msg := make([]byte, 0, 1+len(plain)+64)
	if len(cs.aeads) == 0 {
		msg = append(msg, formatPlain)
		msg = append(msg, plain...)
	} else {
		aead := cs.aeads[0]
		msg = append(msg, formatEncrypted)
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return "", err
		}
		msg = append(msg, nonce...)
		msg = aead.Seal(msg, nonce, plain, []byte(name))
	}
	msg = sg.mac(0, name, msg, msg)
	return base64.RawURLEncoding.EncodeToString(msg), nil
}

// decode reads a cookie value. ok is false for anything that does not
// verify, does not decrypt, or was encrypted under a store that now
// requires it and finds it plain (a downgrade).
func (cs *CookieStore) decode(sg *signer, name, value string) (env cookieEnvelope, ok bool) {
	raw, err := strictB64.DecodeString(value)
	if err != nil || len(raw) < 1+sha256.Size {
		return env, false
	}
	msg, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !sg.verifyMAC(name, msg, sum) {
		return env, false
	}
	var plain []byte
	switch msg[0] {
	case formatPlain:
		if len(cs.aeads) > 0 {
			return env, false
		}
		plain = msg[1:]
	case formatEncrypted:
		for _, aead := range cs.aeads {
			ns := aead.NonceSize()
			if len(msg) < 1+ns {
				return env, false
			}
			if p, err := aead.Open(nil, msg[1:1+ns], msg[1+ns:], []byte(name)); err == nil {
				plain = p
				break
			}
		}
		if plain == nil {
			return env, false
		}
	default:
		return env, false
	}
	if err := parseEnvelope(plain, &env); err != nil || !validID(env.ID) {
		return env, false
	}
	if env.Rec.Values == nil {
		env.Rec.Values = make(map[string]any)
	}
	return env, true
}

// loadCookie reads a session kept in the cookie. s.mu must be held.
func (s *Session) loadCookie() {
	m, r := s.m, s.reg.r
	if s.cookieRead {
		s.start() // the cookie was refused earlier in this request
		return
	}
	s.cookieRead = true
	var env cookieEnvelope
	found, bad := false, false
	for _, ck := range r.CookiesNamed(m.cfg.CookieName) {
		if ck.Value == "" {
			continue
		}
		if e, ok := m.cookies.decode(m.signer, m.cfg.CookieName, ck.Value); ok {
			env, found = e, true
			break
		}
		bad = true
	}
	switch {
	case !found && bad && m.rejectBadCookie:
		s.dropCookie = true
		s.fail(ErrBadCookie)
		return
	case !found:
		s.dropCookie = bad
		s.start()
		return
	}
	s.fromCookie = true
	now := m.now()
	tooOld := m.cfg.Lifetime > 0 && now.Sub(env.Rec.Created) >= m.cfg.Lifetime
	ip := m.cfg.ClientIP(r)
	changedIP := !m.ignoreChangeIP && env.Rec.IP != "" && env.Rec.IP != ip
	if env.Deadline <= now.Unix() || tooOld || changedIP {
		s.expired(changedIP)
		return
	}
	s.id, s.rec, s.deadline = env.ID, env.Rec, time.Unix(env.Deadline, 0)
	s.loaded, s.isNew, s.dirty = true, false, false
	if s.rec.IP != ip {
		s.rec.IP = ip
		s.dirty = true
	}
}

// commitCookie sets the cookie of a CookieStore session that changed, or
// whose deadline is due to move. s.mu must be held.
func (s *Session) commitCookie(status int) error {
	m := s.m
	now := m.now()
	force := m.cfg.SaveEveryRequest && s.used
	next := s.nextDeadline(now)
	touch := !s.isNew && now.Sub(s.deadline.Add(-s.idle())) >= m.cfg.TouchInterval && next.Unix() > s.deadline.Unix()
	write := !s.discards(status) && (s.dirty || force || touch)
	if write && s.reg.headerSent {
		m.cfg.Logger.Error("session: a CookieStore session was changed after the response started; its cookie cannot be sent", "session", m.cfg.Name)
		return nil
	}
	if write {
		if s.id == "" {
			if s.id = s.newID(); s.err != nil {
				return s.err
			}
		}
		value, err := m.cookies.encode(m.signer, m.cfg.CookieName, &cookieEnvelope{ID: s.id, Deadline: next.Unix(), Rec: s.rec})
		if err != nil {
			s.fail(&StoreError{Op: "encode", Err: err})
			return s.err
		}
		// Serialised once: its length is what the browser must keep.
		line := m.cookieLine(s.reg.r, value, s.cookieMaxAge(), now)
		if n := len(line); n > MaxCookieSize {
			s.fail(&StoreError{Op: "save", Err: fmt.Errorf("%w: the session cookie %q would be %d bytes; browsers keep at most %d: keep less in the session, or use a server-side store",
				ErrCookieTooLarge, m.cfg.CookieName, n, MaxCookieSize)})
			return s.err
		}
		s.reg.addSetCookie(line)
		s.isNew, s.dirty, s.dropCookie, s.fromCookie, s.deadline = false, false, false, true, time.Unix(next.Unix(), 0)
		return nil
	}
	if s.dropCookie && !s.reg.headerSent {
		s.reg.setCookie(m.deleteCookie())
		s.dropCookie = false
	}
	return nil
}

// ErrCookieTooLarge is wrapped by the error of a CookieStore session that
// would not fit in a cookie.
var ErrCookieTooLarge = errors.New("session: cookie too large")

// appendEnvelope writes env as JSON, as json.Marshal would.
func appendEnvelope(b []byte, env *cookieEnvelope) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = appendString(b, env.ID)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, env.Deadline, 10)
	b = append(b, `,"s":`...)
	b, err := appendRecord(b, &env.Rec)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// parseEnvelope reads what appendEnvelope wrote.
func parseEnvelope(data []byte, env *cookieEnvelope) error {
	p := parser{b: data}
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "id":
			if p.peek() != '"' {
				return errSyntax
			}
			var err error
			env.ID, err = p.stringValue()
			return err
		case "s":
			return p.record(&env.Rec) // read in place, not scanned first
		}
		raw, err := p.rawValue()
		if err == nil && string(key) == "exp" {
			env.Deadline, err = strconv.ParseInt(string(raw), 10, 64)
		}
		return err
	})
	if err != nil {
		return err
	}
	if p.ws(); p.i != len(p.b) {
		return errSyntax
	}
	return nil
}
