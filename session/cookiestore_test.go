package session

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var encKey = []byte("0123456789abcdef0123456789abcdef")

func newCookieHarness(t *testing.T, cfg Config, keys ...[]byte) *harness {
	t.Helper()
	cs, err := NewCookieStore(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessStore(t, cs, cfg)
}

func TestCookieStoreCount(t *testing.T) {
	for _, keys := range [][][]byte{nil, {encKey}} {
		h := newCookieHarness(t, Config{}, keys...)
		for _, want := range []string{"1", "2", "3"} {
			expect(t, h.do("GET", "/count"), 200, want)
		}
		expect(t, h.do("GET", "/reset"), 200, "Reset")
		expect(t, h.do("GET", "/count"), 200, "1")
		if h.store.ops() != 0 {
			t.Errorf("a CookieStore did %d store operations", h.store.ops())
		}
		raw, _ := base64.RawURLEncoding.DecodeString(h.cookie())
		readable := strings.Contains(string(raw), `"count":1`)
		if readable == (keys != nil) {
			t.Errorf("encrypted=%v, yet the data is readable=%v in the cookie", keys != nil, readable)
		}
	}
}

func TestCookieStoreRefusesForgeries(t *testing.T) {
	h := newCookieHarness(t, Config{}, encKey)
	h.do("GET", "/count")
	good := h.cookie()
	other, _ := NewCookieStore([]byte("ffffffffffffffffffffffffffffffff"))
	otherH := newHarnessStore(t, other, Config{})
	otherH.do("GET", "/count")
	plain := newCookieHarness(t, Config{})
	plain.do("GET", "/count")
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	raw[5] ^= 1
	for name, value := range map[string]string{
		"flipped byte":                 base64.RawURLEncoding.EncodeToString(raw),
		"truncated":                    good[:len(good)-10],
		"encrypted with another key":   otherH.cookie(), // same signing key, other encryption key
		"plain where encryption is on": plain.cookie(),  // a downgrade
		"garbage":                      "not base64 at all!",
	} {
		h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: value}}
		if w := h.do("GET", "/count"); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s; want 400", name, w.Code, body(w))
		}
	}
}

func TestCookieStoreReplayAfterExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newCookieHarness(t, Config{Timeout: time.Hour, IgnoreExpiry: No}, encKey)
	h.m.now = clock.now
	h.do("GET", "/count")
	old := h.cookie()
	clock.add(30 * time.Minute)
	expect(t, h.do("GET", "/count"), 200, "2")
	clock.add(2 * time.Hour)
	// The browser may keep the cookie, or an attacker a copy: the expiry
	// inside the signed data refuses it.
	for _, c := range []string{h.cookie(), old} {
		h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: c}}
		if w := h.do("GET", "/count"); w.Code != http.StatusUnauthorized {
			t.Errorf("a replayed expired cookie: %d %s", w.Code, body(w))
		}
	}
}

// tipfy's two lifetimes: session_expires bounds the content (Timeout),
// max_age the cookie (CookieMaxAge). The cookie outlives its content.
func TestCookieStoreTwoLifetimes(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newCookieHarness(t, Config{Timeout: time.Hour, CookieMaxAge: 7 * 24 * time.Hour}, encKey)
	h.m.now = clock.now
	w := h.do("GET", "/count")
	if ck := w.Result().Cookies()[0]; ck.MaxAge != 7*24*3600 {
		t.Fatalf("cookie Max-Age %d; want max_age", ck.MaxAge)
	}
	clock.add(2 * time.Hour)                   // the cookie is still in the browser...
	expect(t, h.do("GET", "/count"), 200, "1") // ...but its content has expired
}

func TestCookieStoreSizeLimit(t *testing.T) {
	cs, _ := NewCookieStore(encKey)
	m, err := New(cs, Config{SecretKeys: []string{testKey}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var sawLimit bool
	for n := 2800; n < 3200; n++ {
		var size int
		h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			FromContext(r.Context()).Set("blob", strings.Repeat("x", n))
		}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code == 200 {
			size = len(w.Header().Get("Set-Cookie"))
			if size > MaxCookieSize {
				t.Fatalf("a %d-byte cookie was sent", size)
			}
			continue
		}
		if w.Code != 500 {
			t.Fatalf("status %d", w.Code)
		}
		sawLimit = true
		break
	}
	if !sawLimit {
		t.Fatal("no payload reached the limit")
	}
	// The error names the size, for the log and for Save.
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("blob", strings.Repeat("x", 5000))
		err := s.Save()
		if !errors.Is(err, ErrCookieTooLarge) || !strings.Contains(err.Error(), "4096") {
			t.Errorf("Save = %v; want ErrCookieTooLarge naming the limit", err)
		}
		var se *StoreError
		if !errors.As(err, &se) || !strings.Contains(se.Error(), "bytes") {
			t.Errorf("Save = %v; want the size named", err)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

// The limit is exact: a cookie of 4096 bytes is sent, one of 4097 refused.
func TestCookieStoreLimitIsExact(t *testing.T) {
	cs, _ := NewCookieStore()
	for nameLen := 1; nameLen <= 8; nameLen++ {
		name := strings.Repeat("c", nameLen)
		m, err := New(cs, Config{CookieName: name, SecretKeys: []string{testKey}, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for n := 2600; n < 3100; n++ {
			var saveErr error
			h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s := FromContext(r.Context())
				s.Set("b", strings.Repeat("x", n))
				saveErr = s.Save()
			}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
			if saveErr == nil {
				continue
			}
			if !strings.Contains(saveErr.Error(), "would be 4097 bytes") {
				break // this name length skips 4097; try the next
			}
			// One byte less fits exactly.
			return
		}
	}
	t.Fatal("never hit a 4097-byte cookie to refuse")
}

func TestCookieStoreKeyRotation(t *testing.T) {
	oldKey, newKey := encKey, []byte("fedcba9876543210fedcba9876543210")
	h := newCookieHarness(t, Config{}, oldKey)
	h.do("GET", "/count")
	rotated, _ := NewCookieStore(newKey, oldKey)
	h2 := newHarnessStore(t, rotated, Config{})
	h2.jar = h.jar
	expect(t, h2.do("GET", "/count"), 200, "2")
	onlyNew, _ := NewCookieStore(newKey)
	h3 := newHarnessStore(t, onlyNew, Config{})
	h3.jar = h2.jar
	expect(t, h3.do("GET", "/count"), 200, "3") // re-encrypted with the new key
	if _, err := NewCookieStore([]byte("short")); err == nil {
		t.Error("a 5-byte AES key was accepted")
	}
}

func TestFlashesSurviveExactlyOneRead(t *testing.T) {
	h := newHarness(t, Config{})
	var got [][]Message
	mux := http.NewServeMux()
	mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Flash(Message{Level: "success", Body: "Saved", Title: "Done", Life: 5})
		s.Flash(Message{Body: "second"})
	})
	mux.HandleFunc("/show", func(w http.ResponseWriter, r *http.Request) {
		got = append(got, FromContext(r.Context()).Flashes())
	})
	app := h.m.Middleware(mux)
	h.doHandler(app, "GET", "/post")
	h.doHandler(app, "GET", "/show")
	h.doHandler(app, "GET", "/show")
	if len(got) != 2 || len(got[0]) != 2 || got[0][0] != (Message{Level: "success", Body: "Saved", Title: "Done", Life: 5}) || len(got[1]) != 0 {
		t.Fatalf("flashes read = %+v; want both messages once, then none", got)
	}
}

func TestMessagesIncludeFlashes(t *testing.T) {
	for _, store := range []string{"memory", "cookie"} {
		var h *harness
		if store == "memory" {
			h = newHarness(t, Config{})
		} else {
			h = newCookieHarness(t, Config{}, encKey)
		}
		var msgs []Message
		mux := http.NewServeMux()
		mux.HandleFunc("/post", func(w http.ResponseWriter, r *http.Request) {
			s := FromContext(r.Context())
			s.AddMessage(Message{Level: "info", Body: "this request only"})
			s.Flash(Message{Level: "success", Body: "flashed"})
		})
		mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
			s := FromContext(r.Context())
			s.AddMessage(Message{Level: "error", Body: "form error"})
			msgs = s.Messages()
			if again := s.Messages(); len(again) != len(msgs) {
				t.Error("Messages changed within one request")
			}
		})
		app := h.m.Middleware(mux)
		h.doHandler(app, "POST", "/post")
		h.doHandler(app, "GET", "/page")
		if len(msgs) != 2 || msgs[0].Body != "flashed" || msgs[1].Body != "form error" {
			t.Errorf("%s: messages = %+v; want the flash, then the page's own", store, msgs)
		}
		h.doHandler(app, "GET", "/page")
		if len(msgs) != 1 {
			t.Errorf("%s: messages on the third request = %+v; the flash must be gone", store, msgs)
		}
	}
}

func TestSignedCookies(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newHarness(t, Config{})
	h.m.now = clock.now
	var got string
	var gotErr error
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		m := ManagerOf(r, "")
		if err := m.SetSignedCookie(w, &http.Cookie{Name: "theme", Value: "dark; with spaces", Path: "/", MaxAge: 3600}); err != nil {
			t.Fatal(err)
		}
	})
	mux.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		got, gotErr = ManagerOf(r, "").SignedCookie(r, "theme")
	})
	app := h.m.Middleware(mux)
	h.doHandler(app, "GET", "/get")
	if !errors.Is(gotErr, http.ErrNoCookie) {
		t.Errorf("no cookie: %v", gotErr)
	}
	h.doHandler(app, "GET", "/set")
	h.doHandler(app, "GET", "/get")
	if got != "dark; with spaces" || gotErr != nil {
		t.Fatalf("SignedCookie = %q, %v", got, gotErr)
	}
	signed := h.jar["theme"].Value
	for name, value := range map[string]string{
		"changed value": base64.RawURLEncoding.EncodeToString([]byte("light")) + signed[strings.Index(signed, "."):],
		"truncated":     signed[:len(signed)-2],
	} {
		h.jar["theme"] = &http.Cookie{Name: "theme", Value: value}
		h.doHandler(app, "GET", "/get")
		if !errors.Is(gotErr, ErrBadCookie) {
			t.Errorf("%s: %q, %v; want ErrBadCookie", name, got, gotErr)
		}
	}
	// Moved to another cookie name: refused.
	h.jar = map[string]*http.Cookie{"theme": {Name: "theme", Value: h.m.signer.sign("other", "x.0")}}
	h.doHandler(app, "GET", "/get")
	if gotErr == nil {
		t.Error("a value signed for another name was accepted")
	}
	// An old copy outlives its Max-Age: refused.
	h.jar = map[string]*http.Cookie{"theme": {Name: "theme", Value: signed}}
	clock.add(2 * time.Hour)
	h.doHandler(app, "GET", "/get")
	if !errors.Is(gotErr, ErrBadCookie) {
		t.Errorf("an expired signed cookie: %q, %v", got, gotErr)
	}
	if ManagerOf(httptest.NewRequest("GET", "/", nil), "") != nil {
		t.Error("ManagerOf found a manager outside any middleware")
	}
}

// tipfy's get_session(backend=...): a long-lived CookieStore "prefs" beside
// a server-side login session, each with its own store and cookie.
func TestTwoStoresInOneRequest(t *testing.T) {
	h := newHarness(t, Config{})
	cs, _ := NewCookieStore(encKey)
	prefs, err := New(cs, Config{Name: "prefs", CookieName: "prefs", CookieMaxAge: 365 * 24 * time.Hour, SecretKeys: []string{testKey}})
	if err != nil {
		t.Fatal(err)
	}
	app := h.m.Middleware(prefs.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		login, p := FromContext(r.Context()), Named(r.Context(), "prefs")
		switch r.URL.Path {
		case "/login":
			login.Set("user", "ann")
			p.Set("theme", "dark")
		case "/logout":
			login.Kill()
		}
		fmt.Fprintf(w, "%s/%s", login.String("user"), p.String("theme"))
	})))
	w := h.doHandler(app, "GET", "/login")
	if len(setCookies(w)) != 2 {
		t.Fatalf("Set-Cookie = %q; want both cookies", setCookies(w))
	}
	expect(t, h.doHandler(app, "GET", "/"), 200, "ann/dark")
	h.doHandler(app, "GET", "/logout")
	expect(t, h.doHandler(app, "GET", "/"), 200, "/dark") // the prefs outlive the login
	if h.jar["prefs"].MaxAge != 365*24*3600 {
		t.Error("the prefs cookie is not long-lived")
	}
	if h.store.Store.(*MemoryStore).Len() != 0 {
		t.Error("the login session is still stored after logout")
	}
}
