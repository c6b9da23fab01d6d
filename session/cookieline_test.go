package session

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The Set-Cookie line written by hand is the one net/http writes, for
// every setting that shapes it.
func TestCookieLineIsNetHTTPs(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 4, 5, 999, time.UTC)
	plain := httptest.NewRequest("GET", "/", nil)
	overTLS := httptest.NewRequest("GET", "/", nil)
	overTLS.TLS = &tls.ConnectionState{}
	for _, cfg := range []Config{
		{},
		{CookieName: "app_session", Path: "/shop", Domain: "example.com"},
		{Domain: ".example.com", SameSite: http.SameSiteStrictMode, HTTPOnly: No},
		{Secure: Yes, SameSite: http.SameSiteNoneMode},
		{Secure: No, SameSite: http.SameSiteDefaultMode},
		{CookieName: "__Host-sid", Secure: Yes},
	} {
		cfg.SecretKeys = []string{testKey}
		m, err := New(NewMemoryStore(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Close()
		for _, r := range []*http.Request{plain, overTLS} {
			for _, maxAge := range []time.Duration{0, 500 * time.Millisecond, time.Hour, 400 * 24 * time.Hour} {
				for _, value := range []string{"abc.DEF-123_x", "needs quoting", "a,b", ""} {
					want := m.cookie.cookie(r, value, maxAge, now).String()
					if got := m.cookie.line(r, value, maxAge, now); got != want {
						t.Errorf("%+v, TLS %v, max age %v, value %q:\n got %s\nwant %s", cfg, r.TLS != nil, maxAge, value, got, want)
					}
				}
			}
		}
	}
}

func BenchmarkCookieLine(b *testing.B) {
	m, err := New(NewMemoryStore(), Config{SecretKeys: []string{testKey}, CookieMaxAge: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	r := httptest.NewRequest("GET", "/", nil)
	value := m.signer.sign("sid", fmt.Sprintf("%0*d", idLen, 7))
	now := time.Now()
	b.Run("net/http", func(b *testing.B) {
		for b.Loop() {
			_ = m.cookie.cookie(r, value, time.Hour, now).String()
		}
	})
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			_ = m.cookie.line(r, value, time.Hour, now)
		}
	})
}
