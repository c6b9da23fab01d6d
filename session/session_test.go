package session

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The seed's curl session: 1, 2, 3, Reset, 1.
func TestCountTranscript(t *testing.T) {
	h := newHarness(t, Config{})
	for i, want := range []string{"1", "2", "3"} {
		w := h.do("GET", "/count")
		expect(t, w, 200, want)
		if got := len(setCookies(w)); (i == 0) != (got == 1) {
			t.Errorf("request %d: %d Set-Cookie headers; only the first sets the cookie", i+1, got)
		}
	}
	old := h.cookie()
	expect(t, h.do("GET", "/reset"), 200, "Reset")
	if h.cookie() != "" {
		t.Fatal("the cookie survived /reset")
	}
	expect(t, h.do("GET", "/count"), 200, "1")
	if h.cookie() == old {
		t.Fatal("the killed id came back")
	}
	// The old cookie, replayed after /reset, names no session: a fresh one.
	h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: old}}
	expect(t, h.do("GET", "/count"), 200, "1")
	if h.cookie() == old {
		t.Fatal("a killed id was adopted again")
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "default", []field{
		{"CookieName", c.CookieName, "sid"}, {"Path", c.Path, "/"}, {"SameSite", c.SameSite, http.SameSiteLaxMode},
		{"Timeout", c.Timeout, 24 * time.Hour}, {"ExpiredMessage", c.ExpiredMessage, "Session expired"},
		{"ExpiredStatus", c.ExpiredStatus, 401}, {"Lifetime", c.Lifetime, time.Duration(0)},
		{"CookieMaxAge", c.CookieMaxAge, time.Duration(0)}, {"LockTimeout", c.LockTimeout, 10 * time.Second},
		{"TouchInterval", c.TouchInterval, time.Minute},
	})
	h := newHarness(t, Config{})
	w := h.do("GET", "/count")
	ck := w.Result().Cookies()[0]
	// sid, Path=/, HttpOnly, not Secure over HTTP, Lax, a browser-session cookie
	checkFields(t, "default cookie", []field{
		{"Name", ck.Name, "sid"}, {"Path", ck.Path, "/"}, {"HttpOnly", ck.HttpOnly, true}, {"Secure", ck.Secure, false},
		{"SameSite", ck.SameSite, http.SameSiteLaxMode}, {"MaxAge", ck.MaxAge, 0}, {"Expires", ck.Expires.IsZero(), true},
		{"Domain", ck.Domain, ""},
	})
}

// field is a value a test checks, and the value it wants.
type field struct {
	name      string
	got, want any
}

func checkFields(t *testing.T, what string, fields []field) {
	t.Helper()
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s %s = %v; want %v", what, f.name, f.got, f.want)
		}
	}
}

func TestCookieAttributes(t *testing.T) {
	h := newHarness(t, Config{CookieName: "app", Domain: "example.com", Path: "/app", HTTPOnly: No,
		SameSite: http.SameSiteStrictMode, CookieMaxAge: time.Hour})
	w := h.do("GET", "/count")
	raw := setCookies(w)[0]
	for _, part := range []string{"app=", "Domain=example.com", "Path=/app", "Max-Age=3600", "Expires=", "SameSite=Strict"} {
		if !strings.Contains(raw, part) {
			t.Errorf("Set-Cookie %q lacks %q", raw, part)
		}
	}
	if strings.Contains(raw, "HttpOnly") || strings.Contains(raw, "Secure") {
		t.Errorf("Set-Cookie %q: HTTPOnly No and plain HTTP give neither HttpOnly nor Secure", raw)
	}
}

func TestSecureFollowsTLS(t *testing.T) {
	h := newHarness(t, Config{})
	r := httptest.NewRequest("GET", "https://example.com/count", nil)
	r.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	if ck := w.Result().Cookies()[0]; !ck.Secure {
		t.Error("a session cookie set over TLS is not Secure")
	}
	h2 := newHarness(t, Config{Secure: Yes})
	if ck := h2.do("GET", "/count").Result().Cookies()[0]; !ck.Secure {
		t.Error("Secure: Yes did not set Secure over plain HTTP (a proxy terminating TLS)")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{CookieName: "__Host-sid"}, "__Host-"},
		{Config{CookieName: "__Host-sid", Secure: Yes, Domain: "example.com"}, "__Host-"},
		{Config{CookieName: "__Host-sid", Secure: Yes, Path: "/app"}, "__Host-"},
		{Config{CookieName: "__Secure-sid"}, "__Secure-"},
		{Config{SameSite: http.SameSiteNoneMode}, "SameSite None"},
		{Config{CookieName: "bad name"}, "not a valid cookie name"},
		{Config{SecretKeys: []string{"short"}}, "at least 32"},
		{Config{Timeout: -time.Second}, "negative"},
		{Config{ExpiredStatus: 200}, "not an error status"},
		{Config{Initializer: map[string]any{"ch": make(chan int)}}, `key "ch"`},
	} {
		_, err := New(NewMemoryStore(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v; want an error mentioning %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(NewMemoryStore(), Config{CookieName: "__Host-sid", Secure: Yes, SecretKeys: []string{testKey}, CleanupInterval: -1}); err != nil {
		t.Errorf("a valid __Host- config was refused: %v", err)
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil store) succeeded")
	}
}

func TestTamperedCookieAnswersBadCookie(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	good := h.cookie()
	id := good[:idLen]
	other, _ := newID()
	for name, value := range map[string]string{
		"flipped signature": good[:len(good)-1] + flip(good[len(good)-1]),
		"other id":          other + good[idLen:],
		"truncated":         good[:len(good)-5],
		"id only":           id,
		"garbage":           "not-a-session!!",
		"traversal":         "../../../etc/passwd",
		"encoded traversal": "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"upper case":        strings.ToUpper(good),
		"overlong":          strings.Repeat("a", 5000),
		"newline":           "abc%0A",
	} {
		h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: value}}
		before := h.store.ops()
		w := h.do("GET", "/count")
		if w.Code != http.StatusBadRequest || body(w) != "Bad Cookie" {
			t.Errorf("%s: got %d %q; want 400 Bad Cookie", name, w.Code, body(w))
		}
		if got := setCookies(w); len(got) != 1 || !strings.Contains(got[0], "Max-Age=0") {
			t.Errorf("%s: Set-Cookie %q; want the cookie cleared in the same response", name, got)
		}
		if h.store.ops() != before {
			t.Errorf("%s: a forged cookie reached the store", name)
		}
		// The browser dropped the cookie: a reload recovers.
		expect(t, h.do("GET", "/count"), 200, "1")
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestBadCookieStartsFreshWhenConfigured(t *testing.T) {
	h := newHarness(t, Config{RejectBadCookie: No})
	h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: "forged"}}
	w := h.do("GET", "/count")
	expect(t, w, 200, "1")
	if got := setCookies(w); len(got) != 1 || strings.Contains(got[0], "Max-Age=0") {
		t.Fatalf("Set-Cookie = %q; want one new session cookie", got)
	}
	// A read-only request with a bad cookie still clears it.
	h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: "forged"}}
	if got := setCookies(h.do("GET", "/read")); len(got) != 1 || !strings.Contains(got[0], "Max-Age=0") {
		t.Fatalf("Set-Cookie = %q; want the bad cookie cleared", got)
	}
}

// A cookie of the same name planted for a parent domain comes with the
// real one; the real one must still work.
func TestDuplicateCookieNames(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	good := h.cookie()
	for _, header := range []string{"sid=zzz; sid=" + good, "sid=" + good + "; sid=zzz"} {
		r := httptest.NewRequest("GET", "/count", nil)
		r.Header.Set("Cookie", header)
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, r)
		if w.Code != 200 {
			t.Errorf("Cookie %q: status %d; want the valid cookie used", header, w.Code)
		}
	}
	if got := h.do("GET", "/read"); body(got) != "3" {
		t.Errorf("count = %s; want 3", body(got))
	}
}

func TestKeyRotation(t *testing.T) {
	store := NewMemoryStore()
	oldKey, newKey := testKey, "a-brand-new-key-that-is-long-enough-0123456789"
	h := newHarnessStore(t, store, Config{SecretKeys: []string{oldKey}})
	h.do("GET", "/count")
	cookie := h.cookie()

	rotated := newHarnessStore(t, store, Config{SecretKeys: []string{newKey, oldKey}})
	rotated.jar = h.jar
	expect(t, rotated.do("GET", "/count"), 200, "2")
	rotated.do("GET", "/renew")
	if fresh := rotated.cookie(); fresh == cookie {
		t.Fatal("RenewID kept the cookie")
	} else if _, ok := newSigner([][]byte{[]byte(newKey)}).parseCookie("sid", fresh); !ok {
		t.Fatal("a new cookie was not signed with the first key")
	}

	dropped := newHarnessStore(t, store, Config{SecretKeys: []string{newKey}})
	dropped.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: cookie}}
	if w := dropped.do("GET", "/count"); w.Code != http.StatusBadRequest {
		t.Fatalf("a cookie signed with a removed key: %d; want 400", w.Code)
	}
}

// A validly signed id that is not in the store is never adopted.
func TestUnknownIDIsNotAdopted(t *testing.T) {
	h := newHarness(t, Config{})
	id, _ := newID()
	planted := h.m.signer.sign("sid", id)
	h.jar = map[string]*http.Cookie{"sid": {Name: "sid", Value: planted}}
	expect(t, h.do("GET", "/count"), 200, "1")
	if got := h.cookie(); got == planted || strings.HasPrefix(got, id) {
		t.Fatal("the planted id was adopted")
	}
}

func TestIgnoreExpiryOff(t *testing.T) {
	h := newHarness(t, Config{IgnoreExpiry: No, ExpiredMessage: "Please log in again"})
	expect(t, h.do("GET", "/count"), 200, "1")
	cookie := h.cookie()
	ms := h.store.Store.(*MemoryStore)
	for i := range ms.shards {
		ms.shards[i].m = nil // the cleanup, or a restart of a MemoryStore
	}
	w := h.do("GET", "/count")
	expect(t, w, http.StatusUnauthorized, "Please log in again")
	if got := setCookies(w); len(got) != 1 || !strings.Contains(got[0], "Max-Age=0") {
		t.Fatalf("Set-Cookie = %q; want the expired cookie cleared", got)
	}
	if h.cookie() != "" || cookie == "" {
		t.Fatal("the jar still holds the expired cookie")
	}
	expect(t, h.do("GET", "/count"), 200, "1")
}

func TestExpiryIsEnforcedOnLoad(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newHarness(t, Config{Timeout: time.Hour, FirstTimeout: time.Hour, IgnoreExpiry: No, CleanupInterval: -1})
	h.m.now = clock.now
	h.do("GET", "/count")
	clock.add(59 * time.Minute)
	expect(t, h.do("GET", "/count"), 200, "2")
	clock.add(61 * time.Minute) // idle for longer than Timeout; no cleanup ran
	if w := h.do("GET", "/count"); w.Code != http.StatusUnauthorized {
		t.Fatalf("an idle session was used after its timeout: %d %s", w.Code, body(w))
	}
}

func TestLifetimeIsAbsolute(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newHarness(t, Config{Timeout: time.Hour, FirstTimeout: time.Hour, Lifetime: 2 * time.Hour, CleanupInterval: -1})
	h.m.now = clock.now
	h.do("GET", "/count")
	for i := 2; i <= 4; i++ {
		clock.add(30 * time.Minute)
		expect(t, h.do("GET", "/count"), 200, fmt.Sprint(i))
	}
	clock.add(61 * time.Minute) // active all along, but 2h31m old
	expect(t, h.do("GET", "/count"), 200, "1")
	if n := h.store.Store.(*MemoryStore).Len(); n != 1 {
		t.Errorf("%d sessions in the store; the old one must be removed", n)
	}
}

func TestLazyNoStoreIONoCookie(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count") // now the client has a cookie
	before := h.store.ops()
	for _, path := range []string{"/none", "/nope"} {
		w := h.do("GET", path)
		if len(setCookies(w)) != 0 || w.Header().Get("Vary") != "" {
			t.Errorf("%s: headers %v; a request that never uses its session gets no cookie and no Vary", path, w.Header())
		}
	}
	if h.store.ops() != before {
		t.Errorf("requests that never used the session did %d store operations", h.store.ops()-before)
	}
	// A visitor without a cookie who only reads gets no session at all.
	h.jar = map[string]*http.Cookie{}
	w := h.do("GET", "/read")
	if len(setCookies(w)) != 0 || h.store.ops() != before {
		t.Error("reading a new session stored it or set a cookie")
	}
	if w.Header().Get("Vary") != "Cookie" {
		t.Error("a response that read a session lacks Vary: Cookie")
	}
}

func TestWritesOnlyWhenChanged(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	h := newHarness(t, Config{TouchInterval: time.Minute, FirstTimeout: DefaultTimeout, CleanupInterval: -1})
	h.m.now = clock.now
	w := h.do("GET", "/count")
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Error("a response that sets the session cookie lacks Cache-Control: no-store")
	}
	if h.store.creates.Load() != 1 {
		t.Fatalf("creates = %d", h.store.creates.Load())
	}
	for range 3 {
		h.do("GET", "/read")
	}
	if n := h.store.updates.Load() + h.store.touches.Load(); n != 0 {
		t.Errorf("reads within the touch interval wrote %d times", n)
	}
	clock.add(2 * time.Minute)
	h.do("GET", "/read")
	h.do("GET", "/read")
	if h.store.touches.Load() != 1 || h.store.updates.Load() != 0 {
		t.Errorf("touches = %d, updates = %d; want one touch, no rewrite", h.store.touches.Load(), h.store.updates.Load())
	}
	// Setting a value back to its initial value is a change (web.py #683).
	h.do("GET", "/set?count=0")
	if h.store.updates.Load() != 1 {
		t.Errorf("updates = %d; setting a value back to its initial value must be saved", h.store.updates.Load())
	}
	if got := body(h.do("GET", "/read")); got != "0" {
		t.Errorf("count = %s; want 0", got)
	}
}

func TestSaveEveryRequest(t *testing.T) {
	h := newHarness(t, Config{SaveEveryRequest: true})
	h.do("GET", "/count")
	w := h.do("GET", "/read")
	if h.store.updates.Load() != 1 || len(setCookies(w)) != 1 {
		t.Errorf("updates = %d, cookies %q; SaveEveryRequest writes and resends a used session", h.store.updates.Load(), setCookies(w))
	}
	if w := h.do("GET", "/none"); len(setCookies(w)) != 0 {
		t.Error("SaveEveryRequest sent a cookie for a request that never used the session")
	}
}

func TestDisabled(t *testing.T) {
	h := newHarness(t, Config{Disabled: true})
	for range 2 {
		w := h.do("GET", "/count")
		expect(t, w, 200, "1")
		if len(setCookies(w)) != 0 {
			t.Fatal("a disabled manager set a cookie")
		}
	}
	if h.store.ops() != 0 {
		t.Fatal("a disabled manager used its store")
	}
}

func TestFailedRequestKeepsStoredSession(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	if w := h.do("GET", "/boom"); w.Code != 500 {
		t.Fatalf("/boom = %d", w.Code)
	}
	func() {
		defer func() { recover() }()
		h.do("GET", "/panic")
	}()
	if got := body(h.do("GET", "/count")); got != "2" {
		t.Fatalf("count = %s; a 500 or a panic must not save the changes made before it", got)
	}
	if n := h.m.locks().size(); n != 0 {
		t.Fatalf("%d locks left held after a panic", n)
	}
}

func TestKill(t *testing.T) {
	h := newHarness(t, Config{Domain: "example.com", Path: "/"})
	h.do("GET", "/count")
	if h.store.Store.(*MemoryStore).Len() != 1 {
		t.Fatal("no session stored")
	}
	w := h.do("GET", "/reset")
	got := setCookies(w)
	if len(got) != 1 {
		t.Fatalf("Set-Cookie = %q", got)
	}
	for _, part := range []string{"sid=;", "Max-Age=0", "Expires=Thu, 01 Jan 1970", "Domain=example.com", "Path=/"} {
		if !strings.Contains(got[0], part) {
			t.Errorf("deletion cookie %q lacks %q", got[0], part)
		}
	}
	if h.store.Store.(*MemoryStore).Len() != 0 {
		t.Error("Kill left the session in the store")
	}
	// /reset without a cookie sends no cookie at all.
	h.jar = map[string]*http.Cookie{}
	if got := setCookies(h.do("GET", "/reset")); len(got) != 0 {
		t.Errorf("/reset without a cookie set %q", got)
	}
}

func TestKillThenSetStartsFreshSession(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	old := h.cookie()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Kill()
		s.Set("flash", "logged out")
		fmt.Fprint(w, s.Int("count"))
	})
	w := h.doHandler(h.m.Middleware(mux), "GET", "/logout")
	expect(t, w, 200, "0")
	if got := setCookies(w); len(got) != 1 || strings.Contains(got[0], "Max-Age=0") {
		t.Fatalf("Set-Cookie = %q; want only the new session's cookie", got)
	}
	if h.cookie() == old || h.cookie() == "" {
		t.Fatal("no new session after Kill + Set")
	}
	if got := body(h.do("GET", "/count")); got != "1" {
		t.Fatalf("count = %s; want the fresh session's 1", got)
	}
}

func TestRenewID(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	h.do("GET", "/count")
	old := h.jar["sid"]
	w := h.do("GET", "/renew")
	expect(t, w, 200, "renewed")
	if h.cookie() == old.Value {
		t.Fatal("RenewID kept the id")
	}
	if got := body(h.do("GET", "/count")); got != "3" {
		t.Fatalf("count after RenewID = %s; the data must be kept", got)
	}
	if h.store.Store.(*MemoryStore).Len() != 1 {
		t.Fatal("the old session is still stored")
	}
	h.jar = map[string]*http.Cookie{"sid": old}
	expect(t, h.do("GET", "/count"), 200, "1")
}

func TestRenewIDOnNewSession(t *testing.T) {
	h := newHarness(t, Config{})
	w := h.do("GET", "/renew")
	expect(t, w, 200, "renewed")
	if len(setCookies(w)) != 1 || h.store.creates.Load() != 1 {
		t.Fatal("a new session renewed and changed must be saved once, with one cookie")
	}
}

func TestConcurrentCountLosesNothing(t *testing.T) {
	h := newHarness(t, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	cookie := h.cookie()
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/count", nil)
			r.AddCookie(&http.Cookie{Name: "sid", Value: cookie})
			w := httptest.NewRecorder()
			h.h.ServeHTTP(w, r)
			if w.Code != 200 {
				t.Errorf("status %d", w.Code)
			}
		}()
	}
	wg.Wait()
	expect(t, h.do("GET", "/read"), 200, "51")
	if n := h.m.locks().size(); n != 0 {
		t.Errorf("%d lock entries left", n)
	}
}

// slowMux has a handler that uses the session and then waits, to show
// what other requests of the same session do meanwhile.
func slowHandler(started, release chan struct{}, saveEarly bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("slow", "was here")
		if saveEarly {
			if err := s.Save(); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		close(started)
		<-release
		fmt.Fprint(w, "slow done")
	})
}

func TestKillDuringSlowRequestStaysKilled(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	started, release := make(chan struct{}), make(chan struct{})
	slow := h.m.Middleware(slowHandler(started, release, false))
	done := make(chan *httptest.ResponseRecorder)
	jar := h.jar["sid"]
	go func() {
		r := httptest.NewRequest("GET", "/slow", nil)
		r.AddCookie(jar)
		w := httptest.NewRecorder()
		slow.ServeHTTP(w, r)
		done <- w
	}()
	<-started
	resetDone := make(chan *httptest.ResponseRecorder)
	go func() {
		r := httptest.NewRequest("GET", "/reset", nil)
		r.AddCookie(jar)
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, r)
		resetDone <- w
	}()
	waitForWaiters(t, h.m, jar.Value, 2) // /reset waits for the slow request
	close(release)
	<-done
	expect(t, <-resetDone, 200, "Reset")
	if n := h.store.Store.(*MemoryStore).Len(); n != 0 {
		t.Fatalf("%d sessions stored after /reset; the slow request brought the killed session back", n)
	}
	h.jar = map[string]*http.Cookie{"sid": jar}
	expect(t, h.do("GET", "/count"), 200, "1")
}

// A request of the session that saved early (or never used its session)
// is not held up by a slow one.
func TestSlowRequestBlocksOnlyWhileUsingSession(t *testing.T) {
	h := newHarness(t, Config{LockTimeout: time.Minute})
	h.do("GET", "/count")
	for _, saveEarly := range []bool{true, false} {
		started, release := make(chan struct{}), make(chan struct{})
		slow := h.m.Middleware(slowHandler(started, release, saveEarly))
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			r := httptest.NewRequest("GET", "/slow", nil)
			r.AddCookie(h.jar["sid"])
			slow.ServeHTTP(httptest.NewRecorder(), r)
		}()
		<-started
		// Never blocked: a request that does not touch its session.
		expect(t, h.do("GET", "/none"), 200, "no session here")
		if saveEarly {
			// Not blocked: the slow request released the session with Save.
			if w := h.do("GET", "/read"); w.Code != 200 {
				t.Fatalf("read after Save: %d", w.Code)
			}
		}
		close(release)
		<-finished
	}
	if got := body(h.do("GET", "/read")); got != "1" {
		t.Fatalf("count = %s", got)
	}
}

func TestLockTimeoutAnswers503(t *testing.T) {
	h := newHarness(t, Config{LockTimeout: 20 * time.Millisecond})
	h.do("GET", "/count")
	started, release := make(chan struct{}), make(chan struct{})
	slow := h.m.Middleware(slowHandler(started, release, false))
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		r := httptest.NewRequest("GET", "/slow", nil)
		r.AddCookie(h.jar["sid"])
		slow.ServeHTTP(httptest.NewRecorder(), r)
	}()
	<-started
	w := h.do("GET", "/count")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("waiting past LockTimeout gave %d %v; want 503 with Retry-After", w.Code, w.Header())
	}
	if !strings.Contains(h.logged(), "timed out waiting") {
		t.Errorf("the 503 was not logged: %s", h.logged())
	}
	close(release)
	<-finished
	expect(t, h.do("GET", "/read"), 200, "1")
}

func TestIgnoreChangeIPOff(t *testing.T) {
	h := newHarness(t, Config{IgnoreChangeIP: No})
	h.do("GET", "/count")
	expect(t, h.do("GET", "/count"), 200, "2")
	cookie := h.jar["sid"]
	h.remote = "198.51.100.7:999"
	w := h.do("GET", "/count")
	expect(t, w, http.StatusUnauthorized, "Session expired")
	if h.store.Store.(*MemoryStore).Len() != 0 {
		t.Fatal("the session used from another address is still valid")
	}
	// Unlike web.py, it is not valid for the first address either.
	h.remote = "192.0.2.1:1234"
	h.jar = map[string]*http.Cookie{"sid": cookie}
	expect(t, h.do("GET", "/count"), 200, "1")
}

func TestIgnoreChangeIPOnFollowsClient(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	h.remote = "198.51.100.7:999"
	expect(t, h.do("GET", "/count"), 200, "2")
}

func TestForwardedIP(t *testing.T) {
	if _, err := ForwardedIP("not-an-ip"); err == nil {
		t.Error("ForwardedIP accepted a bad proxy address")
	}
	ip, err := ForwardedIP("10.0.0.0/8", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"203.0.113.9:1", "198.51.100.1", "203.0.113.9"}, // not a proxy: the header is ignored
		{"10.1.2.3:1", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:1", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // rightmost untrusted
		{"192.0.2.1:1", "", "192.0.2.1"},
		{"10.1.2.3:1", "garbage, 198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:1", "198.51.100.1, garbage", "10.1.2.3"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := ip(r); got != tc.want {
			t.Errorf("remote %s, XFF %q: %s; want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestCustomClientIP(t *testing.T) {
	h := newHarness(t, Config{IgnoreChangeIP: No, ClientIP: func(r *http.Request) string { return r.Header.Get("X-Test-IP") }})
	mk := func(ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/count", nil)
		r.Header.Set("X-Test-IP", ip)
		for _, ck := range h.jar {
			r.AddCookie(ck)
		}
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, r)
		h.absorb(w.Result().Cookies())
		return w
	}
	mk("1.1.1.1")
	expect(t, mk("1.1.1.1"), 200, "2")
	if w := mk("2.2.2.2"); w.Code != http.StatusUnauthorized {
		t.Fatalf("status %d; the configured ClientIP was not used", w.Code)
	}
}

func TestGeneratedKeyFile(t *testing.T) {
	t.Setenv(EnvSecretKey, "")
	dir := t.TempDir()
	t.Chdir(dir)
	buf := &strings.Builder{}
	logger := newTestLogger(buf)
	m1, err := New(NewMemoryStore(), Config{Logger: logger, CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "session.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v; want 0600", st.Mode().Perm())
	}
	if n := strings.Count(buf.String(), "no secret key configured"); n != 1 {
		t.Errorf("%d warnings; want one: %s", n, buf.String())
	}
	m2, err := New(NewMemoryStore(), Config{Logger: logger, CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if string(m1.signer.keys[0]) != string(m2.signer.keys[0]) {
		t.Error("a restart generated a new key: every session would be lost")
	}
	// A key file others can read is refused.
	os.Chmod("session.key", 0o644)
	if _, err := New(NewMemoryStore(), Config{Logger: logger}); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable key file: %v", err)
	}
	os.WriteFile("short.key", []byte("abc"), 0o600)
	if _, err := New(NewMemoryStore(), Config{Logger: logger, KeyFile: "short.key"}); err == nil {
		t.Error("a key file with a short key was accepted")
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(EnvSecretKey, "environment-key-that-is-long-enough-000000")
	t.Setenv(EnvSecretKeyFallbacks, "older-key-that-is-also-long-enough-0000000, ")
	m, err := New(NewMemoryStore(), Config{CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.signer.keys) != 2 || string(m.signer.keys[0]) != "environment-key-that-is-long-enough-000000" {
		t.Errorf("keys = %q", m.signer.keys)
	}
	if _, err := os.Stat("session.key"); err == nil {
		t.Error("a key file was written although SECRET_KEY is set")
	}
	m2, _ := New(NewMemoryStore(), Config{SecretKeys: []string{testKey}, CleanupInterval: -1})
	if string(m2.signer.keys[0]) != testKey {
		t.Error("the environment won over an explicit Config.SecretKeys")
	}
	t.Setenv(EnvSecretKey, "short")
	if _, err := New(NewMemoryStore(), Config{}); err == nil || !strings.Contains(err.Error(), EnvSecretKey) {
		t.Errorf("a short SECRET_KEY: %v", err)
	}
}

func TestAPI(t *testing.T) {
	h := newHarness(t, Config{})
	when := time.Date(2026, 11, 23, 11, 15, 39, 0, time.UTC)
	var firstID string
	set := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if !s.IsNew() {
			t.Error("a first visit is not IsNew")
		}
		firstID = s.ID()
		setEveryKind(t, s, when)
	})
	get := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		if s.IsNew() || s.ID() != firstID {
			t.Errorf("IsNew %v, ID changed %v", s.IsNew(), s.ID() != firstID)
		}
		checkEveryKind(t, s, when)
	})
	h.doHandler(h.m.Middleware(set), "GET", "/")
	h.doHandler(h.m.Middleware(get), "GET", "/")
	if strings.Contains(h.logged(), firstID) {
		t.Error("a session id was logged")
	}
}

// setEveryKind sets a value of each kind the typed getters read, and two
// that cannot be stored.
func setEveryKind(t *testing.T, s *Session, when time.Time) {
	must(t, s.Set("int", 7))
	must(t, s.Set("big", int64(math.MaxInt64)))
	must(t, s.Set("float", 2.5))
	must(t, s.Set("str", "Zoë"))
	must(t, s.Set("yes", true))
	must(t, s.Set("when", when))
	must(t, s.Set("list", []string{"a", "b"}))
	must(t, s.Set("gone", 1))
	s.Delete("gone")
	if err := s.Set("ch", make(chan int)); err == nil || !strings.Contains(err.Error(), `"ch"`) {
		t.Errorf("Set of a channel = %v; want an error naming the key", err)
	}
	if err := s.Set("nan", math.NaN()); err == nil {
		t.Error("Set of NaN succeeded")
	}
}

// checkEveryKind reads back, after a round trip through the store, what
// setEveryKind set.
func checkEveryKind(t *testing.T, s *Session, when time.Time) {
	checkFields(t, "after a round trip", []field{
		{`Int("int")`, s.Int("int"), 7}, {`Int64("big")`, s.Int64("big"), int64(math.MaxInt64)},
		{`Float("float")`, s.Float("float"), 2.5}, {`Float("int")`, s.Float("int"), 7.0},
		{`String("str")`, s.String("str"), "Zoë"}, {`Bool("yes")`, s.Bool("yes"), true},
		{`Time("when")`, s.Time("when").Equal(when), true},
	})
	// Getters of the wrong type give zero values.
	checkFields(t, "of the wrong type", []field{
		{`Int("str")`, s.Int("str"), 0}, {`String("int")`, s.String("int"), ""}, {`Bool("missing")`, s.Bool("missing"), false},
		{`Time("missing")`, s.Time("missing").IsZero(), true}, {`Int("float")`, s.Int("float"), 0},
	})
	if _, ok := s.Get("int").(json.Number); !ok {
		t.Errorf("Get(int) after a round trip is %T; want json.Number", s.Get("int"))
	}
	if got := s.Keys(); strings.Join(got, ",") != "big,count,float,int,list,str,when,yes" {
		t.Errorf("Keys = %v", got)
	}
	if s.Has("gone") || !s.Has("int") {
		t.Error("Has")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestInitializerIsCopiedPerSession(t *testing.T) {
	init := map[string]any{"cart": []any{"apple"}, "prefs": map[string]any{"theme": "dark"}}
	h := newHarness(t, Config{Initializer: init})
	mutate := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Get("prefs").(map[string]any)["theme"] = "light"
		cart := s.Get("cart").([]any)
		cart[0] = "stolen"
		fmt.Fprint(w, "ok")
	})
	h.doHandler(h.m.Middleware(mutate), "GET", "/")
	if init["prefs"].(map[string]any)["theme"] != "dark" || init["cart"].([]any)[0] != "apple" {
		t.Fatal("a session changed the shared initializer (web.py's leak before PR #109)")
	}
}

func TestInitFunc(t *testing.T) {
	h := newHarness(t, Config{InitFunc: func(s *Session) { s.Set("count", 10) }})
	expect(t, h.do("GET", "/count"), 200, "11")
	expect(t, h.do("GET", "/count"), 200, "12")
	h.jar = map[string]*http.Cookie{}
	w := h.do("GET", "/read")
	expect(t, w, 200, "10")
	if len(setCookies(w)) != 0 {
		t.Error("values set by InitFunc alone made the session be saved")
	}
}

func TestStoreFailureAnswers503AndRecovers(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	h.store.fail.Store(true)
	w := h.do("GET", "/count")
	expect(t, w, http.StatusServiceUnavailable, "session store unavailable, try again later")
	if w.Header().Get("Retry-After") == "" {
		t.Error("a store failure answered without Retry-After")
	}
	if n := strings.Count(h.logged(), "database is down"); n != 1 {
		t.Errorf("the cause was logged %d times; want once:\n%s", n, h.logged())
	}
	if h.cookie() == "" {
		t.Error("a store failure cleared the visitor's cookie")
	}
	h.store.fail.Store(false)
	expect(t, h.do("GET", "/count"), 200, "2")
	// A failing save fails the request loudly.
	h.jar = map[string]*http.Cookie{}
	failSave := &failingSaves{Store: NewMemoryStore()}
	h2 := newHarnessStore(t, failSave, Config{})
	if w := h2.do("GET", "/count"); w.Code != 503 || len(setCookies(w)) != 0 {
		t.Errorf("a failed save: %d, cookies %q; want 503 and no cookie", w.Code, setCookies(w))
	}
}

type failingSaves struct{ Store }

func (f *failingSaves) Save(context.Context, string, []byte, time.Time, SaveMode) error {
	return errors.New("disk full")
}

func TestCorruptDataStartsFresh(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	ms := h.store.Store.(*MemoryStore)
	for i := range ms.shards {
		for k, e := range ms.shards[i].m {
			e.data = []byte("{not json")
			ms.shards[i].m[k] = e
		}
	}
	expect(t, h.do("GET", "/count"), 200, "1")
	if !strings.Contains(h.logged(), "corrupt") {
		t.Error("corrupt data was not logged")
	}
}

// corruptLoads is a MemoryStore whose Load reports corrupt data, as the
// Store contract allows (dbstore on a deadline it cannot parse, diskstore
// on a path that is not a regular file).
type corruptLoads struct {
	*MemoryStore
	corrupt bool
}

func (c *corruptLoads) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	if c.corrupt {
		return nil, time.Time{}, false, fmt.Errorf("somestore: load: %w", ErrCorrupt)
	}
	return c.MemoryStore.Load(ctx, key)
}

// A Load that wraps ErrCorrupt is a session treated as missing, removed
// from the store, not a store failure: that visitor was answered 503
// forever, and the whole Manager logged an outage.
func TestCorruptLoadStartsFresh(t *testing.T) {
	st := &corruptLoads{MemoryStore: NewMemoryStore()}
	h := newHarnessStore(t, st, Config{})
	expect(t, h.do("GET", "/count"), 200, "1")
	st.corrupt = true
	expect(t, h.do("GET", "/count"), 200, "1")
	log := h.logged()
	if !strings.Contains(log, "corrupt") || strings.Contains(log, "store failed") {
		t.Errorf("want the corrupt data logged, and no outage:\n%s", log)
	}
	if n := len(allEntries(st.MemoryStore)); n != 1 {
		t.Errorf("%d sessions in the store; want the fresh one only, the corrupt one removed", n)
	}
}

func TestRememberMe(t *testing.T) {
	h := newHarness(t, Config{})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).RememberMe(30 * 24 * time.Hour)
	})
	h.do("GET", "/count")
	w := h.doHandler(h.m.Middleware(mux), "GET", "/login")
	ck := w.Result().Cookies()
	if len(ck) != 1 || ck[0].MaxAge != 30*24*3600 {
		t.Fatalf("cookies %v; want Max-Age of 30 days", setCookies(w))
	}
	ms := h.store.Store.(*MemoryStore)
	for _, e := range allEntries(ms) {
		if time.Until(e.deadline) < 29*24*time.Hour {
			t.Errorf("deadline %v; a remembered session may stay idle for the cookie's life", e.deadline)
		}
	}
}

func TestCleanupRunsInBackground(t *testing.T) {
	h := newHarness(t, Config{Timeout: time.Millisecond, CleanupInterval: 5 * time.Millisecond})
	h.do("GET", "/count")
	deadline := time.Now().Add(10 * time.Second)
	for h.store.Store.(*MemoryStore).Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background cleanup never removed the expired session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.m.Close()
	n := h.store.cleanups.Load()
	time.Sleep(20 * time.Millisecond)
	if h.store.cleanups.Load() != n {
		t.Error("cleanup still runs after Close")
	}
}

func TestNoMiddleware(t *testing.T) {
	s := FromContext(context.Background())
	if !errors.Is(s.Err(), ErrNoMiddleware) {
		t.Fatalf("Err = %v", s.Err())
	}
	s.Set("x", 1) // a detached session works in memory and never panics
	if s.Int("x") != 0 && s.Int("x") != 1 {
		t.Fatal("unreachable")
	}
	s.Kill()
	s.RenewID()
	s.Save()
}

func TestNamedSessions(t *testing.T) {
	store1, store2 := NewMemoryStore(), NewMemoryStore()
	login, _ := New(store1, Config{Name: "", CookieName: "sid", SecretKeys: []string{testKey}, CleanupInterval: -1})
	prefs, _ := New(store2, Config{Name: "prefs", CookieName: "prefs", SecretKeys: []string{testKey}, CleanupInterval: -1, CookieMaxAge: time.Hour})
	h := newHarness(t, Config{})
	app := login.Middleware(prefs.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, b := FromContext(r.Context()), Named(r.Context(), "prefs")
		a.Set("count", a.Int("count")+1)
		b.Set("count", b.Int("count")+10)
		fmt.Fprint(w, a.Int("count"), b.Int("count"))
	})))
	h.doHandler(app, "GET", "/")
	w := h.doHandler(app, "GET", "/")
	expect(t, w, 200, "2 20")
	if store1.Len() != 1 || store2.Len() != 1 || len(h.jar) != 2 {
		t.Errorf("stores %d/%d, cookies %v", store1.Len(), store2.Len(), h.jar)
	}
}

// Two Managers of one Name on a request's path: the inner one's sessions
// can never be asked for, which is logged, once, instead of passing
// unseen (the README's prefs example without its Name).
func TestTwoManagersOfOneNameAreLogged(t *testing.T) {
	var log strings.Builder
	outer, _ := New(NewMemoryStore(), Config{SecretKeys: []string{testKey}, CleanupInterval: -1})
	inner, _ := New(NewMemoryStore(), Config{CookieName: "prefs", SecretKeys: []string{testKey}, CleanupInterval: -1, Logger: newTestLogger(&log)})
	h := newHarness(t, Config{})
	app := outer.Middleware(inner.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.Set("count", s.Int("count")+1)
		fmt.Fprint(w, s.Int("count"))
	})))
	expect(t, h.doHandler(app, "GET", "/"), 200, "1")
	expect(t, h.doHandler(app, "GET", "/"), 200, "2")
	if n := strings.Count(log.String(), "another Manager with this Config.Name"); n != 1 {
		t.Errorf("the clash was logged %d times; want once:\n%s", n, log.String())
	}
}

func newTestLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// waitForWaiters waits until n requests hold or wait for the lock of the
// session whose cookie is cookie.
func waitForWaiters(t *testing.T, m *Manager, cookie string, n int) {
	t.Helper()
	key := storeKey(cookie[:idLen])
	sh := m.locks().shard(key)
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
		sh.mu.Lock()
		l := sh.m[key]
		refs := 0
		if l != nil {
			refs = l.refs
		}
		sh.mu.Unlock()
		if refs >= n {
			return
		}
	}
	t.Fatalf("never saw %d requests on the session lock", n)
}

// A request of the old id that waits while RenewID's request holds the
// session finds it gone afterwards: it gets a fresh session, and the old
// id never comes back.
func TestRenewIDIsNotUndoneByWaitingRequest(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	old := h.jar["sid"]
	started, release := make(chan struct{}), make(chan struct{})
	renew := h.m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		s.RenewID()
		s.Set("user", "ann")
		close(started)
		<-release
	}))
	renewed := make(chan *httptest.ResponseRecorder)
	go func() {
		r := httptest.NewRequest("POST", "/login", nil)
		r.AddCookie(old)
		w := httptest.NewRecorder()
		renew.ServeHTTP(w, r)
		renewed <- w
	}()
	<-started
	waited := make(chan *httptest.ResponseRecorder)
	go func() {
		r := httptest.NewRequest("GET", "/count", nil)
		r.AddCookie(old)
		w := httptest.NewRecorder()
		h.h.ServeHTTP(w, r)
		waited <- w
	}()
	waitForWaiters(t, h.m, old.Value, 2)
	close(release)
	h.absorb((<-renewed).Result().Cookies())
	expect(t, <-waited, 200, "1") // a fresh session, not the renewed one
	ms := h.store.Store.(*MemoryStore)
	if _, _, found, _ := ms.Load(context.Background(), storeKey(old.Value[:idLen])); found {
		t.Fatal("the old id is in the store again")
	}
	if got := body(h.do("GET", "/count")); got != "2" {
		t.Fatalf("the renewed session's count = %s; want 2", got)
	}
}

// A client that goes away while its session loads is not a store failure.
func TestCanceledRequestIsNotLoggedAsStoreFailure(t *testing.T) {
	h := newHarnessStore(t, &cancelingStore{Store: NewMemoryStore()}, Config{})
	h.do("GET", "/count")
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/count", nil).WithContext(ctx)
	for _, ck := range h.jar {
		r.AddCookie(ck)
	}
	h.store.Store.(*cancelingStore).cancel = cancel
	h.h.ServeHTTP(httptest.NewRecorder(), r)
	if strings.Contains(h.logged(), "store failed") {
		t.Errorf("a canceled request was logged as a store failure:\n%s", h.logged())
	}
}

// cancelingStore cancels the request, as a client hanging up does, and
// fails the load the way a driver does then.
type cancelingStore struct {
	Store
	cancel func()
}

func (c *cancelingStore) Load(ctx context.Context, key string) ([]byte, time.Time, bool, error) {
	if c.cancel != nil {
		c.cancel()
		return nil, time.Time{}, false, ctx.Err()
	}
	return c.Store.Load(ctx, key)
}

func (c *cancelingStore) Touch(ctx context.Context, key string, d time.Time) error {
	return c.Store.(Toucher).Touch(ctx, key, d)
}

// HEAD runs GET's handler in many frameworks (ours included); its session
// changes are dropped, as HEAD must change nothing (web.py keeps them).
func TestHeadChangesNothing(t *testing.T) {
	h := newHarness(t, Config{})
	h.do("GET", "/count")
	h.do("HEAD", "/count")
	expect(t, h.do("GET", "/count"), 200, "2")
	h.jar = map[string]*http.Cookie{}
	if w := h.do("HEAD", "/count"); len(setCookies(w)) != 0 || h.store.Store.(*MemoryStore).Len() != 1 {
		t.Error("a HEAD request created a session")
	}
}

// allEntries returns the entries of every shard of ms.
func allEntries(ms *MemoryStore) []memEntry {
	var out []memEntry
	for i := range ms.shards {
		for _, e := range ms.shards[i].m {
			out = append(out, e)
		}
	}
	return out
}
