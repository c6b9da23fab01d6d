package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The garbage cookies web.py was fed in ../shared/reference/webpy.md §4.
var garbageCookies = []string{
	"", "not-a-session!!", `"abc"`, "0123456789abcdef0123456789abcdef01234567",
	"../../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "abc%0A", "abc\n",
	strings.Repeat("a", 5000), "zzz", "1' OR '1'='1",
	"00000000-0000-4000-8000-000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
}

// FuzzParseCookie checks that nothing but a value this package signed is
// ever accepted, and that no input panics.
func FuzzParseCookie(f *testing.F) {
	s := newSigner([][]byte{[]byte(testKey)})
	id, _ := newID()
	valid := s.sign("sid", id)
	f.Add(valid)
	f.Add(strings.ToUpper(valid))
	f.Add(valid[:len(valid)-1])
	for _, g := range garbageCookies {
		f.Add(g)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, ok := s.parseCookie("sid", value)
		if !ok {
			return
		}
		if !validID(got) || s.sign("sid", got) != value {
			t.Fatalf("accepted %q (id %q), which is not a value this signer produced", value, got)
		}
		if _, ok := s.parseCookie("other", value); ok {
			t.Fatalf("a value signed for one cookie name was accepted under another")
		}
	})
}

// FuzzCookieHeader sends arbitrary Cookie headers through the middleware:
// the answer is the count or 400, never a 500, and only a fresh session
// is ever stored.
func FuzzCookieHeader(f *testing.F) {
	for _, g := range garbageCookies {
		f.Add("sid=" + g)
	}
	f.Add("sid=a; sid=b")
	f.Add("")
	store := NewMemoryStore()
	m, err := New(store, Config{SecretKeys: []string{testKey}, CleanupInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	h := m.Middleware(testMux())
	f.Fuzz(func(t *testing.T, header string) {
		before := store.Len()
		r := httptest.NewRequest("GET", "/count", nil)
		r.Header.Set("Cookie", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case w.Code == http.StatusOK && strings.TrimSpace(w.Body.String()) == "1":
			if store.Len() != before+1 {
				t.Fatalf("count 1 without storing a new session")
			}
		case w.Code == http.StatusBadRequest:
			if store.Len() != before {
				t.Fatalf("a bad cookie stored a session")
			}
		default:
			t.Fatalf("Cookie %q: %d %q", header, w.Code, w.Body.String())
		}
	})
}

func TestCookieFormat(t *testing.T) {
	s := newSigner([][]byte{[]byte(testKey)})
	for range 100 {
		id, err := newID()
		if err != nil || !validID(id) {
			t.Fatalf("newID = %q, %v", id, err)
		}
		v := s.sign("sid", id)
		if len(v) != cookieLen {
			t.Fatalf("cookie %q is %d bytes; want %d", v, len(v), cookieLen)
		}
		if got, ok := s.parseCookie("sid", v); !ok || got != id {
			t.Fatalf("parseCookie(sign(id)) = %q, %v", got, ok)
		}
	}
	if k := storeKey("x"); !ValidKey(k) || k == "x" {
		t.Fatalf("storeKey = %q", k)
	}
	// Every key verifies, the first signs.
	old := newSigner([][]byte{[]byte("old-key-old-key-old-key-old-key-old-key")})
	both := newSigner([][]byte{[]byte(testKey), []byte("old-key-old-key-old-key-old-key-old-key")})
	id, _ := newID()
	if _, ok := both.parseCookie("sid", old.sign("sid", id)); !ok {
		t.Fatal("a cookie signed with the second key was refused")
	}
	if _, ok := s.parseCookie("sid", both.sign("sid", id)); !ok {
		t.Fatal("the first key did not sign")
	}
}
