// Command visits is JustPy's session example: every browser has its own
// count of visits and of clicks on a button, kept in its session.
//
// GET / counts a visit and shows both counts. The button posts to /click,
// which counts a click and redirects back to / (Post/Redirect/Get: a
// reload after a click shows the page again instead of posting again).
// The page the redirect lands on is a visit too, so a click adds one to
// both counts; JustPy's button updates the page without loading it.
//
// Try it in a browser: run it, open http://127.0.0.1:8080/, reload, click,
// close the tab and come back; then open a private window, which has no
// cookie and so starts again at 1. Or with curl (-c saves the cookie, -b
// sends it, -L follows the redirect), after
//
//	go run ./examples/visits 8080
//
// in another terminal:
//
//	$ counts() { grep -o 'Number of [a-z]*: [0-9]*'; }
//	$ curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | counts
//	Number of visits: 1
//	Number of clicks: 0
//	$ curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | counts
//	Number of visits: 2
//	Number of clicks: 0
//	$ curl -s -c cookie.txt -b cookie.txt -L -d '' http://127.0.0.1:8080/click | counts
//	Number of visits: 3
//	Number of clicks: 1
//	$ curl -s http://127.0.0.1:8080/ | counts
//	Number of visits: 1
//	Number of clicks: 0
//
// The last one sent no cookie, so it started a session of its own.
//
// The sessions live in the memory of the process (session.NewMemoryStore),
// like JustPy's session_dict: a restart forgets them. The session settings
// come from the environment, JustPy style: SECRET_KEY, SESSION_COOKIE_NAME,
// COOKIE_MAX_AGE and the rest of session.ConfigFromEnv. Without SECRET_KEY
// a key is generated into ./session.key. If the browser shows "Bad
// Cookie", it still held a cookie another program on this host signed
// with another key: that answer deletes it, and its link starts afresh.
package main

import (
	"embed"
	"log"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/examples/internal/site"
	"github.com/gowebpy/web/session"
)

// The templates are compiled into the program, so that it finds them from
// any working directory.
//
//go:embed templates
var templates embed.FS

// page is what the template shows; html/template escapes every value for
// where it appears in the page.
type page struct {
	Session        string // the start of the session id, never all of it
	Visits, Clicks int
}

type index struct{ render *web.Templates }

// GET counts a visit and shows the page.
func (h index) GET(c *web.Context) (any, error) {
	s := c.Session()
	visits := s.Int("visits") + 1
	if err := s.Set("visits", visits); err != nil {
		return nil, err
	}
	return h.render.Render("index", page{Session: shortID(s.ID()), Visits: visits, Clicks: s.Int("clicks")})
}

type click struct{}

// POST counts a click and sends the browser back to the page.
func (click) POST(c *web.Context) (any, error) {
	s := c.Session()
	if err := s.Set("clicks", s.Int("clicks")+1); err != nil {
		return nil, err
	}
	return nil, web.SeeOther("/")
}

// shortID returns the first 8 characters of a session id: enough to tell
// two sessions apart on screen, useless to anyone who reads it over your
// shoulder.
func shortID(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

// newApp builds the application with its sessions in memory.
func newApp() (*web.Application, *session.Manager, error) {
	app, err := web.New(web.URLs{
		"/", index{web.NewTemplatesFS(templates, "templates")},
		"/click", click{},
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
	app, sessions, err := newApp()
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
