package e2e

import (
	"strings"
	"testing"

	"github.com/gowebpy/web/session"
)

const password = "correct-horse-battery-staple"

// shortID is the start of the session id the page shows in its first
// <code>.
func shortID(b *browser) string {
	b.t.Helper()
	return eval[string](b, "document.querySelector('main code').textContent")
}

// logIn fills the login form and submits it.
func logIn(b *browser, user, pw string) {
	b.t.Helper()
	b.fill("input[name=user]", user)
	b.fill("input[name=password]", pw)
	b.click("form button")
}

func TestLogin(t *testing.T) {
	b := newBrowser(t, "login", startExample(t, "login", "LOGIN_PASSWORD="+password))

	// A new visitor is sent to the login form.
	b.open("/")
	b.waitText("/login", "Please log in")
	b.screenshot("form")
	before := shortID(b)
	sidBefore := b.cookie(session.DefaultCookieName)
	if sidBefore == nil {
		t.Fatal("the login form started no session")
	}

	// A wrong password: the form again, with an error, the password not
	// echoed, and the session unchanged.
	logIn(b, "ann", "wrong-guess")
	b.waitText("/login", "Wrong user name or password.")
	b.screenshot("wrong-password")
	if v := eval[string](b, "document.querySelector('input[name=password]').value"); v != "" {
		t.Fatalf("the password field holds %q after a failed login", v)
	}
	if shortID(b) != before {
		t.Fatalf("a failed login changed the session: %s, then %s", before, shortID(b))
	}

	// The right password: the home page, under a new session id.
	logIn(b, "ann", password)
	b.waitText("/", "You are logged in as ann.")
	b.screenshot("home")
	after := shortID(b)
	sidAfter := b.cookie(session.DefaultCookieName)
	if after == before || sidAfter == nil || sidAfter.Value == sidBefore.Value {
		t.Fatalf("the login kept the session id: %s, then %s", before, after)
	}

	// The session cookie is HttpOnly: the page's scripts do not see it.
	if !sidAfter.HTTPOnly {
		t.Fatalf("the session cookie is not HttpOnly: %+v", sidAfter)
	}
	if c := eval[string](b, "document.cookie"); strings.Contains(c, session.DefaultCookieName+"=") {
		t.Fatalf("document.cookie shows the session cookie: %q", c)
	}

	// Logging out: the login form, saying so, under yet another session.
	b.click("form button")
	b.waitText("/login", "You have been logged out.")
	b.screenshot("logged-out")

	// Back shows no private page: the home page must not come back from
	// a cache (the session layer sends Cache-Control: no-store for
	// pages rendered from a session that holds something).
	b.back()
	b.screenshot("back-after-logout")
	if text := b.text(); strings.Contains(text, "You are logged in") {
		t.Errorf("Back after logout shows the private page again (at %s):\n%s", b.location(), text)
	}
}

// A form shown before the logout, posted after it, gets a clear page with
// a way back, and the way back works.
func TestStaleFormAfterLogout(t *testing.T) {
	b := newBrowser(t, "login", startExample(t, "login", "LOGIN_PASSWORD="+password))
	b.open("/login")
	logIn(b, "ann", password)
	b.waitText("/", "You are logged in as ann.")

	// Another tab of the same browser logs out.
	other := b.tab()
	other.open("/")
	other.waitText("/", "You are logged in as ann.")
	other.click("form button")
	other.waitText("/login", "You have been logged out.")

	// The first tab still shows the home page and its logout form.
	b.click("form button")
	b.waitText("/logout", "This form has expired or comes from another site")
	b.screenshot("stale-form")
	if status := eval[string](b, "document.title"); !strings.HasPrefix(status, "403") {
		t.Fatalf("the stale form's page is titled %q", status)
	}
	b.click("nav a.home")
	b.waitText("/login", "Please log in")
}

// A tampered cookie gets a page that explains it, with a way back that
// works, since the answer deleted the cookie.
func TestTamperedCookie(t *testing.T) {
	b := newBrowser(t, "login", startExample(t, "login", "LOGIN_PASSWORD="+password))
	b.open("/login")
	b.waitText("/login", "Please log in")
	b.tamper()
	b.open("/")
	b.waitText("/", "Bad Cookie")
	b.screenshot("bad-cookie")
	if b.cookie(session.DefaultCookieName) != nil {
		t.Fatal("the bad cookie was not deleted")
	}
	b.click("nav a.home")
	b.waitText("/login", "Please log in")
}
