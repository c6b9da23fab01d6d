package session

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// A handle asked for is not a session opened: no store I/O and no lock
// until its data are used.
func TestHandleIsLazy(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count") // the client has a cookie now
	before := h.store.ops()
	app := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if n := h.m.locks().size(); n != 0 || h.store.ops() != before {
			t.Errorf("after FromContext: %d locks taken, %d store operations; want none", n, h.store.ops()-before)
		}
		fmt.Fprint(w, s.Int("count")) // the first use opens it
		if n := h.m.locks().size(); n != 0 {
			t.Errorf("%d locks held after the response started; the commit gives them back", n)
		}
	}))
	expect(t, h.doHandler(app, "GET", "/"), 200, "1")
	if got := h.store.loads.Load(); got != 1 {
		t.Errorf("%d loads; want 1, by the request whose cookie named a session", got)
	}
}

// Commit runs once per session per request: a handler that writes its
// body, and so starts the response, is committed then and not again when
// it returns.
func TestCommitRunsOnce(t *testing.T) {
	h := newHarness(t, Config{SaveEveryRequest: true}) // every commit writes
	for i := 1; i <= 3; i++ {
		before := h.store.creates.Load() + h.store.updates.Load()
		w := h.do("GET", "/count")
		expect(t, w, 200, fmt.Sprint(i))
		if n := h.store.creates.Load() + h.store.updates.Load() - before; n != 1 {
			t.Errorf("request %d: %d saves; want 1", i, n)
		}
		if n := len(setCookies(w)); n != 1 {
			t.Errorf("request %d: %d Set-Cookie lines; want 1", i, n)
		}
	}
}

// Reading the id of a new session makes it stick, as JustPy's
// request.session_id does: the next request has the same id.
func TestReadIDSticks(t *testing.T) {
	for name, store := range map[string]Store{"MemoryStore": NewMemoryStore(), "CookieStore": mustCookieStore(t)} {
		t.Run(name, func(t *testing.T) {
			h := newHarnessStore(t, store, Config{})
			first := h.do("GET", "/id")
			if len(setCookies(first)) != 1 {
				t.Fatalf("reading the id of a new session sent %d cookies; want 1", len(setCookies(first)))
			}
			if second := h.do("GET", "/id"); body(second) != body(first) || body(first) == "" {
				t.Fatalf("ids %q then %q; want the same", body(first), body(second))
			}
		})
	}
}

func mustCookieStore(t *testing.T) *CookieStore {
	cs, err := NewCookieStore()
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// A page built from a session that holds data is private: no cache may
// keep it, not even the browser's back/forward cache, unless the handler
// says otherwise or the application turned NoStore off.
func TestPrivatePagesAreNotStored(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/", testMux())
	mux.HandleFunc("/cached", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, max-age=60")
		fmt.Fprint(w, FromContext(r.Context()).Int("count"))
	})
	for _, c := range []struct {
		name          string
		cfg           Config
		read, handler string // Cache-Control of /read and /cached
	}{
		{"default", Config{}, "no-store", "private, max-age=60"},
		{"NoStore No", Config{NoStore: No}, "", "private, max-age=60"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.cfg)
			h.h = h.m.Middleware(mux)
			if got := h.do("GET", "/count").Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("a response that sets the cookie: Cache-Control %q; want no-store", got)
			}
			for path, want := range map[string]string{"/read": c.read, "/cached": c.handler, "/none": ""} {
				if got := h.do("GET", path).Header().Get("Cache-Control"); got != want {
					t.Errorf("%s: Cache-Control %q; want %q", path, got, want)
				}
			}
			// A visitor without a session reads nothing private.
			h.jar = map[string]*http.Cookie{}
			if got := h.do("GET", "/read").Header().Get("Cache-Control"); got != "" {
				t.Errorf("/read of a new visitor: Cache-Control %q; want none", got)
			}
		})
	}
}

// A session first used after the handler sent a 5xx header is committed
// with that status, so its changes are discarded as any failed request's
// are (an error page that reads the flashes does not consume them).
func TestLateUseAfter500IsNotSaved(t *testing.T) {
	h := newHarness(t, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	late := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		FromContext(r.Context()).Set("count", 999)
		fmt.Fprint(w, "failed")
	}))
	if w := h.doHandler(late, "GET", "/late"); w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d; want 500", w.Code)
	}
	expect(t, h.do("GET", "/count"), 200, "2")
}

// Decode leaves v alone for a missing key, and names the key when the
// value does not fit v.
func TestDecodeMissingAndMismatched(t *testing.T) {
	s := detached(nil)
	n := 7
	if err := s.Decode("absent", &n); err != nil || n != 7 {
		t.Errorf("Decode of a missing key = %v, n = %d; want nil and n untouched", err, n)
	}
	if err := s.Set("name", "ann"); err != nil {
		t.Fatal(err)
	}
	if err := s.Decode("name", &n); err == nil || !strings.Contains(err.Error(), `"name"`) {
		t.Errorf("Decode of a string into an int = %v; want an error naming the key", err)
	}
}
