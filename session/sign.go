package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// signer signs cookie values with HMAC-SHA256. The first key signs; every
// key verifies, which is how keys are rotated. The cookie name is part of
// the signed message, so a value signed for one cookie is refused in
// another.
type signer struct {
	keys  [][]byte
	pools []sync.Pool // one pool of *macState per key
}

// macState is an HMAC state with buffers for its message and its sum,
// reused so that signing and verifying allocate nothing.
type macState struct {
	h   hash.Hash
	buf []byte
	sum []byte
}

func newSigner(keys [][]byte) *signer {
	s := &signer{keys: keys, pools: make([]sync.Pool, len(keys))}
	for i, k := range keys {
		s.pools[i].New = func() any { return &macState{h: hmac.New(sha256.New, k)} }
	}
	return s
}

// sigLen is the length of a base64url signature of 32 bytes.
const sigLen = 43

// macOf returns a pooled state holding the HMAC, with key i, of name, a
// zero byte, msg and msgStr in st.sum; put it back with s.pools[i].Put.
func (s *signer) macOf(i int, name string, msg []byte, msgStr string) *macState {
	st := s.pools[i].Get().(*macState)
	st.buf = append(append(append(append(st.buf[:0], name...), 0), msg...), msgStr...)
	st.h.Reset()
	st.h.Write(st.buf)
	st.sum = st.h.Sum(st.sum[:0])
	return st
}

// mac appends to out the HMAC of name and msg with the signing key.
func (s *signer) mac(name string, msg []byte, out []byte) []byte {
	st := s.macOf(0, name, msg, "")
	out = append(out, st.sum...)
	s.pools[0].Put(st)
	return out
}

// verifies reports whether sum is the HMAC of name, msg and msgStr under
// any key, comparing in constant time.
func (s *signer) verifies(name string, msg []byte, msgStr string, sum []byte) bool {
	for i := range s.keys {
		st := s.macOf(i, name, msg, msgStr)
		ok := hmac.Equal(st.sum, sum)
		s.pools[i].Put(st)
		if ok {
			return true
		}
	}
	return false
}

// sign returns value + "." + signature.
func (s *signer) sign(name, value string) string {
	var b strings.Builder
	b.Grow(len(value) + 1 + sigLen)
	b.WriteString(value)
	b.WriteByte('.')
	var sig [sigLen]byte
	st := s.macOf(0, name, nil, value)
	base64.RawURLEncoding.Encode(sig[:], st.sum)
	s.pools[0].Put(st)
	b.Write(sig[:])
	return b.String()
}

// verify returns the value of a signed string if any key's signature
// matches, comparing in constant time.
func (s *signer) verify(name, signed string) (string, bool) {
	dot := strings.LastIndexByte(signed, '.')
	if dot < 0 || len(signed)-dot-1 != sigLen {
		return "", false
	}
	value := signed[:dot]
	var enc [sigLen]byte
	copy(enc[:], signed[dot+1:])
	var got [sha256.Size]byte
	if n, err := strictB64.Decode(got[:], enc[:]); err != nil || n != sha256.Size {
		return "", false
	}
	if !s.verifies(name, nil, value, got[:]) {
		return "", false
	}
	return value, true
}

// idLen is the length of a session id: a version 4 UUID in its canonical,
// lower-case form.
const idLen = 36

// cookieLen is the length of a session cookie value: id "." signature.
const cookieLen = idLen + 1 + sigLen

// newID returns a fresh session id: a version 4 UUID, 122 random bits
// from crypto/rand.
func newID() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// validID reports whether id is a canonical lower-case version 4 UUID,
// the only form this package issues. It is checked before anything else
// is done with a client's value.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < idLen; i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !lowerHex[c] {
				return false
			}
		}
	}
	return id[14] == '4' && strings.IndexByte("89ab", id[19]) >= 0
}

// parseCookie returns the session id in a cookie value, or ok == false
// when the value is malformed or its signature does not verify.
func (s *signer) parseCookie(name, value string) (id string, ok bool) {
	if len(value) != cookieLen || value[idLen] != '.' || !validID(value[:idLen]) {
		return "", false
	}
	return s.verify(name, value)
}

// storeKey is the key a session is kept under: the SHA-256 of its id in
// hex. Stores never see the id itself.
func storeKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// CheckKey returns an error unless key is a valid store key. The error
// quotes only the start of the key, which came from the client.
func CheckKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("session: invalid store key %.16q", key)
	}
	return nil
}

// ValidKey reports whether key has the form of a store key (64 lower-case
// hex digits). Stores check it before a key becomes a path or a query.
func ValidKey(key string) bool {
	if len(key) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !lowerHex[key[i]] {
			return false
		}
	}
	return true
}

// lowerHex marks the bytes 0-9 and a-f.
var lowerHex = [256]bool{
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true,
}

// strictB64 refuses encodings whose unused trailing bits are not zero, so
// that every signature has exactly one spelling.
var strictB64 = base64.RawURLEncoding.Strict()
