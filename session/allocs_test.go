//go:build !race

package session

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The allocations of the hot paths, pinned so that a change cannot make
// them worse unnoticed (the race detector allocates on its own, hence the
// build tag). A change that lowers one lowers its pin.

func TestAllocsOfCountRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name  string
		store Store
		max   float64
	}{
		{"MemoryStore", NewMemoryStore(), 28},
		{"CookieStore", mustCookieStore(t), 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(c.store, Config{SecretKeys: []string{testKey}, Initializer: map[string]any{"count": 0}, CleanupInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			h := m.Middleware(testMux())
			first := httptest.NewRecorder()
			h.ServeHTTP(first, httptest.NewRequest("GET", "/count", nil))
			ck := first.Result().Cookies()[0]
			r := httptest.NewRequest("GET", "/count", nil)
			r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			// As BenchmarkCountMemoryStore does: the recorder's three
			// allocations are counted too.
			allocs := testing.AllocsPerRun(200, func() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					t.Fatalf("status %d", w.Code)
				}
			})
			if allocs > c.max {
				t.Errorf("one /count round trip allocates %.0f times; want at most %.0f", allocs, c.max)
			}
		})
	}
}

func TestAllocsOfCookieVerification(t *testing.T) {
	s := newSigner([][]byte{[]byte(testKey), []byte("old-key-old-key-old-key-old-key-old-key")})
	id, _ := newID()
	value := s.sign("sid", id)
	if allocs := testing.AllocsPerRun(1000, func() {
		if _, ok := s.parseCookie("sid", value); !ok {
			t.Fatal("refused")
		}
	}); allocs != 0 {
		t.Errorf("verifying a session cookie allocates %.0f times; want 0", allocs)
	}
}
