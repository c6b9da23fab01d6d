package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCount measures one /count round trip (load the session, read
// the int, add one, save, answer) through each variant's handler with
// httptest, the way a browser that already has the cookie sends it: the
// setup of section 4 of the peers' reference, so ns/op and allocs/op of
// ours sit beside scs and gorilla in the same run.
func BenchmarkCount(b *testing.B) {
	for _, v := range Variants() {
		b.Run(v.Name, func(b *testing.B) {
			env := EnvFromOS(b.TempDir())
			if why := v.Skip(env); why != "" {
				b.Skip(why)
			}
			h, closeV, err := v.New(env)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := closeV(); err != nil {
					b.Error(err)
				}
			}()
			r := httptest.NewRequest("GET", "/count", nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("first /count: %d %s", w.Code, w.Body)
			}
			cookie := ""
			for _, ck := range w.Result().Cookies() {
				cookie = (&http.Cookie{Name: ck.Name, Value: ck.Value}).String()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				// A new request each time: gorilla caches the session in
				// the request it is given, so reusing one would skip its
				// decoding after the first round.
				r := httptest.NewRequest("GET", "/count", nil)
				r.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkNewVisitor measures a /count without a cookie: a session is
// created, saved and its cookie set on every request.
func BenchmarkNewVisitor(b *testing.B) {
	for _, v := range Variants() {
		b.Run(v.Name, func(b *testing.B) {
			env := EnvFromOS(b.TempDir())
			if why := v.Skip(env); why != "" {
				b.Skip(why)
			}
			h, closeV, err := v.New(env)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := closeV(); err != nil {
					b.Error(err)
				}
			}()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := httptest.NewRequest("GET", "/count", nil)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// TestCountApp checks that every variant serves the count app: it counts
// on one cookie and /reset starts again. It asserts behaviour, never speed.
func TestCountApp(t *testing.T) {
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			env := EnvFromOS(t.TempDir())
			if why := v.Skip(env); why != "" {
				t.Skip(why)
			}
			h, closeV, err := v.New(env)
			if err != nil {
				t.Fatal(err)
			}
			defer closeV()
			jar := map[string]string{}
			get := func(path string) string {
				r := httptest.NewRequest("GET", path, nil)
				for n, val := range jar {
					r.AddCookie(&http.Cookie{Name: n, Value: val})
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
				}
				for _, ck := range w.Result().Cookies() {
					if ck.MaxAge < 0 || ck.Value == "" {
						delete(jar, ck.Name)
					} else {
						jar[ck.Name] = ck.Value
					}
				}
				return w.Body.String()
			}
			start := 1
			if v.Name == "bare" {
				get("/reset") // a global counter: start from zero
			}
			for i := start; i < start+3; i++ {
				if got, want := get("/count"), itoa(i); got != want {
					t.Fatalf("/count %d: got %q, want %q", i, got, want)
				}
			}
			get("/reset")
			if got := get("/count"); got != "1" {
				t.Fatalf("/count after /reset: got %q, want 1", got)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
