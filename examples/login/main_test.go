package main

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

// loginSite is the example under test and every page it served, for the checks
// that no page ever shows a secret.
type loginSite struct {
	t        *testing.T
	app      http.Handler
	password string
	pages    []string
}

func newSite(t *testing.T) *loginSite {
	t.Helper()
	t.Setenv("SECRET_KEY", "login-example-test-key-0123456789abcdef")
	password := rand.Text() // no password is written in the source, tests included
	app, sessions, err := newApp("ann", password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	return &loginSite{t: t, app: app, password: password}
}

// response is what one request carrying a given cookie got.
type response struct {
	code     int
	body     string
	location string       // the path of the Location header
	sid      *http.Cookie // the session cookie the response set, or nil
}

// do sends a request carrying the session cookie sid (none if empty) and
// the form, if any, from a client that does not follow redirects, so
// that the tests hold the cookies in their own hands.
func (s *loginSite) do(method, path, sid string, form url.Values) response {
	s.t.Helper()
	c := webtest.New(s.t, s.app).NoFollow()
	if sid != "" {
		c.SetCookie(&http.Cookie{Name: session.DefaultCookieName, Value: sid})
	}
	var r *webtest.Response
	if method == http.MethodPost {
		r = c.PostForm(path, form)
	} else {
		r = c.Get(path)
	}
	s.pages = append(s.pages, r.Body)
	out := response{code: r.Status, body: r.Body, location: r.Location()}
	if ck := r.Cookie(session.DefaultCookieName); ck != nil && ck.MaxAge >= 0 {
		out.sid = ck
	}
	return out
}

func (s *loginSite) get(path, sid string) response { return s.do(http.MethodGet, path, sid, nil) }

func (s *loginSite) post(path, sid string, form url.Values) response {
	return s.do(http.MethodPost, path, sid, form)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token returns the csrf token of the form in body.
func (s *loginSite) token(body string) string {
	s.t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		s.t.Fatalf("no csrf token in the page:\n%s", body)
	}
	return m[1]
}

// sessionID returns the id a session cookie carries: the part before the
// signature.
func sessionID(ck *http.Cookie) string {
	id, _, _ := strings.Cut(ck.Value, ".")
	return id
}

// checkSecrets fails if a page served so far showed the password or one of
// the session ids whole.
func (s *loginSite) checkSecrets(cookies ...*http.Cookie) {
	s.t.Helper()
	for _, page := range s.pages {
		if strings.Contains(page, s.password) {
			s.t.Errorf("a page shows the password:\n%s", page)
		}
		for _, ck := range cookies {
			if id := sessionID(ck); len(id) < 36 || strings.Contains(page, id) {
				s.t.Errorf("a page shows the session id %q whole (or the id is odd):\n%s", id, page)
			}
		}
	}
}

// loginForm opens the login form as a new visitor: it returns the session
// cookie the form started and the form's token.
func (s *loginSite) loginForm() (*http.Cookie, string) {
	s.t.Helper()
	r := s.get("/login", "")
	if r.code != http.StatusOK || r.sid == nil || !strings.Contains(r.body, `type="password"`) {
		s.t.Fatalf("GET /login = %d, cookie %v:\n%s", r.code, r.sid, r.body)
	}
	return r.sid, s.token(r.body)
}

// wantLoggedOut checks that the cookie sid does not log anyone in.
func (s *loginSite) wantLoggedOut(sid *http.Cookie) {
	s.t.Helper()
	if r := s.get("/", sid.Value); r.code != http.StatusSeeOther || r.location != "/login" {
		s.t.Fatalf("GET / with that cookie = %d to %q; want 303 to /login:\n%s", r.code, r.location, r.body)
	}
}

// login logs ann in and returns the new session cookie.
func (s *loginSite) login() (before, after *http.Cookie) {
	s.t.Helper()
	before, token := s.loginForm()
	r := s.post("/login", before.Value, url.Values{"user": {"ann"}, "password": {s.password}, "csrf": {token}})
	if r.code != http.StatusSeeOther || r.location != "/" || r.sid == nil {
		s.t.Fatalf("POST /login with the right password = %d to %q, cookie %v:\n%s", r.code, r.location, r.sid, r.body)
	}
	return before, r.sid
}

func TestWrongPassword(t *testing.T) {
	s := newSite(t)
	sid, token := s.loginForm()
	for _, form := range []url.Values{
		{"user": {"ann"}, "password": {"not-" + s.password}},
		{"user": {"ann"}, "password": {""}},
		{"user": {"bob"}, "password": {s.password}}, // the right password for another user
		{"user": {"ann"}},
	} {
		form.Set("csrf", token)
		r := s.post("/login", sid.Value, form)
		if r.code != http.StatusOK || !strings.Contains(r.body, "Wrong user name or password.") || !strings.Contains(r.body, `type="password"`) {
			t.Fatalf("POST /login %v = %d:\n%s", form, r.code, r.body)
		}
		if pw := form.Get("password"); pw != "" && strings.Contains(r.body, pw) {
			t.Fatalf("the form echoes the password typed:\n%s", r.body)
		}
		if r.sid != nil {
			t.Fatalf("a failed login changed the session cookie")
		}
		s.wantLoggedOut(sid)
	}
	// The error was for that request only.
	if r := s.get("/login", sid.Value); strings.Contains(r.body, "Wrong") {
		t.Fatalf("the error shows again:\n%s", r.body)
	}
	s.checkSecrets(sid)
}

func TestLoginRenewsTheID(t *testing.T) {
	s := newSite(t)
	before, after := s.login()
	if before.Value == after.Value || sessionID(before) == sessionID(after) {
		t.Fatalf("the session id did not change at login")
	}
	r := s.get("/", after.Value)
	if r.code != http.StatusOK || !strings.Contains(r.body, "You are logged in as ann") {
		t.Fatalf("GET / after login = %d:\n%s", r.code, r.body)
	}
	if short := sessionID(after)[:8] + "…"; !strings.Contains(r.body, short) {
		t.Fatalf("the page does not show the short id %q:\n%s", short, r.body)
	}
	if r := s.get("/login", after.Value); r.code != http.StatusSeeOther || r.location != "/" {
		t.Fatalf("GET /login when logged in = %d to %q; want 303 to /", r.code, r.location)
	}
	// The id from before the login, which an attacker could have planted
	// or seen, logs no one in.
	s.wantLoggedOut(before)
	s.checkSecrets(before, after)
}

func TestLogoutKillsTheSession(t *testing.T) {
	s := newSite(t)
	_, sid := s.login()
	r := s.get("/", sid.Value)
	token := s.token(r.body)
	r = s.post("/logout", sid.Value, url.Values{"csrf": {token}})
	if r.code != http.StatusSeeOther || r.location != "/login" || r.sid == nil || r.sid.Value == sid.Value {
		t.Fatalf("POST /logout = %d to %q, cookie %v", r.code, r.location, r.sid)
	}
	flashed := r.sid // a fresh session that holds the flash
	r = s.get("/login", flashed.Value)
	if !strings.Contains(r.body, "You have been logged out.") {
		t.Fatalf("GET /login after logout:\n%s", r.body)
	}
	if r = s.get("/login", flashed.Value); strings.Contains(r.body, "logged out") {
		t.Fatalf("the flash shows twice:\n%s", r.body)
	}
	// A copy of the cookie of the killed session logs no one in.
	s.wantLoggedOut(sid)
	s.wantLoggedOut(flashed)
	s.checkSecrets(sid, flashed)
}

// A form without the session's token is refused, whatever it carries.
func TestFormsNeedTheToken(t *testing.T) {
	s := newSite(t)
	sid, _ := s.loginForm()
	for _, token := range []string{"", "forged"} {
		r := s.post("/login", sid.Value, url.Values{"user": {"ann"}, "password": {s.password}, "csrf": {token}})
		if r.code != http.StatusForbidden || r.sid != nil {
			t.Fatalf("POST /login with token %q = %d, cookie %v", token, r.code, r.sid)
		}
		s.wantLoggedOut(sid)
	}
	// No cookie at all: what a form on another site sends (SameSite=Lax).
	if r := s.post("/login", "", url.Values{"user": {"ann"}, "password": {s.password}}); r.code != http.StatusForbidden || r.sid != nil {
		t.Fatalf("POST /login without a session = %d, cookie %v", r.code, r.sid)
	}
	_, loggedIn := s.login()
	if r := s.post("/logout", loggedIn.Value, url.Values{"csrf": {"forged"}}); r.code != http.StatusForbidden {
		t.Fatalf("POST /logout with a forged token = %d", r.code)
	}
	if r := s.get("/", loggedIn.Value); !strings.Contains(r.body, "You are logged in as ann") {
		t.Fatalf("a refused logout logged the user out:\n%s", r.body)
	}
}

// The whole round in a browser: a cookie jar that follows redirects.
func TestBrowser(t *testing.T) {
	s := newSite(t)
	b := webtest.New(t, s.app)
	page := func(r *webtest.Response) (string, string) {
		t.Helper()
		s.pages = append(s.pages, r.Body)
		return r.Request.URL.Path, r.Body
	}
	at, body := page(b.Get("/"))
	if at != "/login" {
		t.Fatalf("GET / took a new visitor to %s", at)
	}
	at, body = page(b.PostForm("/login", url.Values{"user": {"ann"}, "password": {"guess"}, "csrf": {s.token(body)}}))
	if at != "/login" || !strings.Contains(body, "Wrong user name or password.") {
		t.Fatalf("wrong password: at %s:\n%s", at, body)
	}
	at, body = page(b.PostForm("/login", url.Values{"user": {"ann"}, "password": {s.password}, "csrf": {s.token(body)}}))
	if at != "/" || !strings.Contains(body, "You are logged in as ann") {
		t.Fatalf("right password: at %s:\n%s", at, body)
	}
	loggedIn := b.Cookies()
	staleToken := s.token(body)
	at, body = page(b.PostForm("/logout", url.Values{"csrf": {staleToken}}))
	if at != "/login" || !strings.Contains(body, "You have been logged out.") {
		t.Fatalf("logout: at %s:\n%s", at, body)
	}
	if at, body = page(b.Get("/")); at != "/login" || strings.Contains(body, "logged out") {
		t.Fatalf("after logout, GET / is at %s:\n%s", at, body)
	}
	// The logout form again, as a Back button would show it: a clear
	// page with a way back, for a browser.
	b.Header.Set("Accept", "text/html")
	r := b.PostForm("/logout", url.Values{"csrf": {staleToken}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "This form has expired") || !strings.Contains(r.Body, `<a class="home" href="/">`) {
		t.Fatalf("a stale logout form:\n%v", r)
	}
	s.checkSecrets(append(loggedIn, b.Cookies()...)...)
}

func TestPasswordFromTheEnvironment(t *testing.T) {
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	t.Setenv("LOGIN_PASSWORD", "from-the-environment")
	if p := loginPassword(logger, "ann"); p != "from-the-environment" || log.Len() != 0 {
		t.Fatalf("loginPassword = %q, log %q", p, log.String())
	}

	t.Setenv("LOGIN_PASSWORD", "")
	p1 := loginPassword(logger, "ann")
	if len(p1) < 20 || strings.Count(log.String(), p1) != 1 {
		t.Fatalf("generated %q; the log says %q", p1, log.String())
	}
	if p2 := loginPassword(logger, "ann"); p2 == p1 {
		t.Fatalf("two runs generated the same password %q", p1)
	}
}
