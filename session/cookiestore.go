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
	"time"

	"github.com/gowebpy/web/session/internal/record"
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

// The Store methods exist so that a CookieStore is passed to New like any
// other store; New sees what it is, and the Manager never calls them.

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

// ErrCookieTooLarge is wrapped by the error of a session whose cookie
// would not fit in MaxCookieSize bytes.
var ErrCookieTooLarge = errors.New("session: cookie too large")

// envelope is what a CookieStore cookie carries: the id, the deadline and
// the data.
type envelope = record.Envelope[Message]

// Cookie value layout, after base64url decoding:
//
//	format byte ('p' plain JSON, 'e' AES-GCM nonce+ciphertext) | body | HMAC-SHA256(name, format|body)
const (
	formatPlain     = 'p'
	formatEncrypted = 'e'
)

// encode returns the cookie value for env.
func (cs *CookieStore) encode(sg *signer, name string, env *envelope) (string, error) {
	plain, err := record.EncodeEnvelope(env)
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
	msg = sg.mac(name, msg, msg)
	return base64.RawURLEncoding.EncodeToString(msg), nil
}

// decode reads a cookie value. ok is false for anything that does not
// verify, does not decrypt, or was encrypted under a store that now
// requires it and finds it plain (a downgrade).
func (cs *CookieStore) decode(sg *signer, name, value string) (env envelope, ok bool) {
	raw, err := strictB64.DecodeString(value)
	if err != nil || len(raw) < 1+sha256.Size {
		return env, false
	}
	msg, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if !sg.verifies(name, msg, "", sum) {
		return env, false
	}
	plain := cs.open(name, msg)
	if plain == nil || record.DecodeEnvelope(plain, &env) != nil || !validID(env.ID) {
		return env, false
	}
	return env, true
}

// open returns the JSON in a verified message, or nil.
func (cs *CookieStore) open(name string, msg []byte) []byte {
	switch msg[0] {
	case formatPlain:
		if len(cs.aeads) > 0 {
			return nil
		}
		return msg[1:]
	case formatEncrypted:
		for _, aead := range cs.aeads {
			ns := aead.NonceSize()
			if len(msg) < 1+ns {
				return nil
			}
			if p, err := aead.Open(nil, msg[1:1+ns], msg[1+ns:], []byte(name)); err == nil {
				return p
			}
		}
	}
	return nil
}

// cookieBackend keeps sessions in their cookie: the Manager's backend for
// a CookieStore.
type cookieBackend struct {
	m  *Manager
	cs *CookieStore
}

// open reads the session from the request's cookie, once; when it is
// opened again after Save, the data committed then are still in s, and
// the request's cookie is out of date.
func (b *cookieBackend) open(s *Session) {
	if s.cookie != cookieUnread {
		if s.id != "" && s.rec.Values != nil {
			s.state = loaded
		} else {
			s.start()
		}
		return
	}
	m := b.m
	var env envelope
	ok := s.readCookie(func(value string) bool {
		var valid bool
		env, valid = b.cs.decode(m.signer, m.cfg.CookieName, value)
		return valid
	})
	if !ok {
		return
	}
	if s.cookie != cookieValid {
		s.start()
		return
	}
	deadline := time.Unix(env.Deadline, 0)
	if v := s.judge(&env.Rec, deadline); v != usable {
		s.expired(v)
		return
	}
	s.admit(env.ID, &env.Rec, deadline)
}

// save moves the deadline; the data go out in the cookie.
func (b *cookieBackend) save(s *Session, _ action, deadline time.Time) error {
	s.deadline = time.Unix(deadline.Unix(), 0)
	return nil
}

func (b *cookieBackend) cookieValue(s *Session) (string, error) {
	return b.cs.encode(b.m.signer, b.m.cfg.CookieName, &envelope{ID: s.id, Deadline: s.deadline.Unix(), Rec: s.rec})
}

// kill has nothing to remove: the cookie is deleted in the browser.
func (b *cookieBackend) kill(*Session) error { return nil }

// release keeps the data: they are what the response's cookie holds.
func (b *cookieBackend) release(*Session) {}

func (b *cookieBackend) inCookie() bool { return true }
