package session

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchCount measures one /count round trip (load, increment, save) of
// one session through h, the way a browser with a cookie sends it.
func benchCount(b *testing.B, h http.Handler) {
	b.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/count", nil))
	var cookie *http.Cookie
	for _, ck := range w.Result().Cookies() {
		cookie = ck
	}
	r := httptest.NewRequest("GET", "/count", nil)
	if cookie != nil {
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkBareHandler is the baseline: the same count with no session.
func BenchmarkBareHandler(b *testing.B) {
	n := 0
	benchCount(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		fmt.Fprint(w, n)
	}))
}

func BenchmarkCountMemoryStore(b *testing.B) {
	m, err := New(NewMemoryStore(), Config{SecretKeys: []string{testKey}, Initializer: map[string]any{"count": 0}, CleanupInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	benchCount(b, m.Middleware(testMux()))
}

func BenchmarkSign(b *testing.B) {
	s := newSigner([][]byte{[]byte(testKey)})
	id, _ := newID()
	b.ReportAllocs()
	for b.Loop() {
		s.sign("sid", id)
	}
}

func BenchmarkVerify(b *testing.B) {
	s := newSigner([][]byte{[]byte(testKey)})
	id, _ := newID()
	v := s.sign("sid", id)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.parseCookie("sid", v); !ok {
			b.Fatal("refused")
		}
	}
}

func benchCookieStore(b *testing.B, keys ...[]byte) {
	cs, err := NewCookieStore(keys...)
	if err != nil {
		b.Fatal(err)
	}
	m, err := New(cs, Config{SecretKeys: []string{testKey}, Initializer: map[string]any{"count": 0}})
	if err != nil {
		b.Fatal(err)
	}
	benchCount(b, m.Middleware(testMux()))
}

func BenchmarkCountCookieStoreSigned(b *testing.B) { benchCookieStore(b) }

func BenchmarkCountCookieStoreEncrypted(b *testing.B) {
	benchCookieStore(b, []byte("0123456789abcdef0123456789abcdef"))
}
