// Command login is JustPy's login and logout example, with the session on
// the server and the three moments of its life that matter for security:
//
//   - Logging in renews the session id (s.RenewID): an id someone planted
//     in the browser or saw before the login (session fixation) is
//     worthless after it.
//   - Logging out kills the session (s.Kill): it is gone from the server,
//     so a copy of the old cookie logs no one in.
//   - The id is a secret: the page shows only its first 8 characters.
//
// The password comes from the LOGIN_PASSWORD environment variable (the
// user name from LOGIN_USER, default "ann"). Without LOGIN_PASSWORD the
// program makes up a random password and logs it once at startup. It is
// never in the source and never in a page. A real application keeps a
// slow hash per user (bcrypt, argon2id) and limits failed attempts.
//
// Every form carries a token kept in the session (csrf) and every POST
// checks it, so a page on another site cannot log the visitor in or out.
//
// In a browser: run it, open http://127.0.0.1:8080/ and it sends you to
// the login form. With curl, which has to pass the form's token along,
// after
//
//	LOGIN_PASSWORD=correct-horse go run ./examples/login 8080
//
// in another terminal:
//
//	$ token() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p'; }
//	$ T=$(curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/login | token)
//	$ curl -s -c cookie.txt -b cookie.txt -d user=ann -d password=wrong -d csrf=$T http://127.0.0.1:8080/login | grep Wrong
//	<p class="msg error"><strong>Login failed.</strong> Wrong user name or password.</p>
//	$ curl -s -c cookie.txt -b cookie.txt -L -d user=ann -d password=correct-horse -d csrf=$T http://127.0.0.1:8080/login | grep logged
//	<p>You are logged in as ann.</p>
//	$ curl -s -o /dev/null -D - -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | grep Cache-Control
//	Cache-Control: no-store
//	$ T=$(curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | token)
//	$ curl -s -c cookie.txt -b cookie.txt -L -d csrf=$T http://127.0.0.1:8080/logout | grep logged
//	<p class="msg info">You have been logged out.</p>
//	$ curl -s -w '\n' -c cookie.txt -b cookie.txt -d csrf=$T http://127.0.0.1:8080/logout
//	This form has expired or comes from another site: go back, reload the page and try again.
//
// Look at cookie.txt between the steps: the login replaces the cookie,
// and so does the logout. The last form was shown before the logout, so
// its token is the old session's: a browser gets that answer as a page
// with a link back.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/examples/internal/site"
	"github.com/gowebpy/web/session"
)

// credentials hold the SHA-256 sums of the user name and password that
// may log in; the password itself is not kept.
type credentials struct{ user, password [sha256.Size]byte }

// newCredentials returns the credentials of user and password.
func newCredentials(user, password string) *credentials {
	return &credentials{sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))}
}

// check reports whether user and password are the right ones. It compares
// the sums in constant time (equal lengths, every byte looked at), so the
// time it takes tells an attacker nothing about how close a guess was;
// and it checks both, so it takes as long for a wrong user as for a
// wrong password.
func (cr *credentials) check(user, password string) bool {
	u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(u[:], cr.user[:])&subtle.ConstantTimeCompare(p[:], cr.password[:]) == 1
}

// The templates are compiled into the program, so that it finds them from
// any working directory; html/template escapes every value for where it
// appears in the page.
//
//go:embed templates
var templates embed.FS

// view is what the pages show.
type view struct {
	Title    string
	User     string
	Session  string // the start of the session id, never all of it
	CSRF     string
	Messages []session.Message
}

type home struct{ render *web.Templates }

// GET shows who is logged in, or sends the visitor to the login form.
func (h home) GET(c *web.Context) (any, error) {
	s := c.Session()
	user := s.String("user")
	if user == "" {
		return nil, web.SeeOther("/login")
	}
	token, err := csrfToken(s)
	if err != nil {
		return nil, err
	}
	return h.render.Render("home", view{Title: "Welcome", User: user, Session: shortID(s.ID()), CSRF: token})
}

type login struct {
	creds  *credentials
	render *web.Templates
}

// GET shows the login form, with the messages flashed to it (the one of
// the logout).
func (l login) GET(c *web.Context) (any, error) {
	s := c.Session()
	if s.String("user") != "" {
		return nil, web.SeeOther("/")
	}
	return l.showForm(s, "")
}

// POST logs the user in, or shows the form again with an error.
func (l login) POST(c *web.Context) (any, error) {
	in, err := c.Input()
	if err != nil {
		return nil, err
	}
	s := c.Session()
	if err := checkCSRF(s, in); err != nil {
		return nil, err
	}
	user := in.Get("user")
	if !l.creds.check(user, in.Get("password")) {
		// The answer is 200, the form again: 401 belongs to HTTP
		// authentication and must carry a WWW-Authenticate challenge,
		// which a login form does not have. The message does not say
		// which of the two was wrong, and the password is not echoed.
		s.AddMessage(session.Message{Level: "error", Title: "Login failed.", Body: "Wrong user name or password."})
		return l.showForm(s, user)
	}
	// A new id for the logged-in session: the old one stops working.
	if err := s.RenewID(); err != nil {
		return nil, err
	}
	s.Delete("csrf") // and a new form token with it
	if err := s.Set("user", user); err != nil {
		return nil, err
	}
	return nil, web.SeeOther("/")
}

// showForm renders the login form with the request's messages.
func (l login) showForm(s *session.Session, user string) (any, error) {
	token, err := csrfToken(s)
	if err != nil {
		return nil, err
	}
	return l.render.Render("login", view{Title: "Log in", User: user, Session: shortID(s.ID()), CSRF: token, Messages: s.Messages()})
}

type logout struct{}

// POST ends the session and says so on the login form.
func (logout) POST(c *web.Context) (any, error) {
	in, err := c.Input()
	if err != nil {
		return nil, err
	}
	s := c.Session()
	if err := checkCSRF(s, in); err != nil {
		return nil, err
	}
	if err := s.Kill(); err != nil {
		return nil, err
	}
	// The flash goes into a fresh session, with a new id, that the
	// login form reads once.
	s.Flash(session.Message{Level: "info", Body: "You have been logged out."})
	return nil, web.SeeOther("/login")
}

// csrfToken returns the session's form token, making one on first use.
func csrfToken(s *session.Session) (string, error) {
	if token := s.String("csrf"); token != "" {
		return token, nil
	}
	token := rand.Text()
	return token, s.Set("csrf", token)
}

// checkCSRF refuses a form whose token is not the session's: a form from
// another site, or one shown before the session ended.
func checkCSRF(s *session.Session, in *web.Storage) error {
	want := s.String("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(in.Get("csrf")), []byte(want)) != 1 {
		return web.HTTPError(http.StatusForbidden, "This form has expired or comes from another site: go back, reload the page and try again.")
	}
	return nil
}

// shortID returns the first 8 characters of a session id and an
// ellipsis: enough to tell sessions apart, useless to anyone who reads it
// over the user's shoulder.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

// loginPassword returns the password from LOGIN_PASSWORD or, when it is
// not set, a random one, which it logs once so the person who started
// the program can log in.
func loginPassword(logger *slog.Logger, user string) string {
	if p := os.Getenv("LOGIN_PASSWORD"); p != "" {
		return p
	}
	p := rand.Text()
	logger.Warn("login: LOGIN_PASSWORD is not set, so this run has a random password", "user", user, "password", p)
	return p
}

// newApp builds the application; user and password may log in.
func newApp(user, password string) (*web.Application, *session.Manager, error) {
	render := web.NewTemplatesFS(templates, "templates")
	app, err := web.New(web.URLs{
		"/", home{render},
		"/login", login{newCredentials(user, password), render},
		"/logout", logout{},
		"/static/*file", site.Static(), // the examples' stylesheet and icon
	})
	if err != nil {
		return nil, nil, err
	}
	app.StaticDir = "" // /static/ is site.Static, compiled in
	cfg, err := session.ConfigFromEnv(session.Config{})
	if err != nil {
		return nil, nil, err
	}
	cfg.ErrorHandler = web.SessionErrorPage(cfg) // "Bad Cookie" as a page with a way back
	sessions, err := session.New(session.NewMemoryStore(), cfg)
	if err != nil {
		return nil, nil, err
	}
	app.Use(sessions.Middleware)
	return app, sessions, nil
}

func main() {
	user := os.Getenv("LOGIN_USER")
	if user == "" {
		user = "ann"
	}
	app, sessions, err := newApp(user, loginPassword(slog.Default(), user))
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
