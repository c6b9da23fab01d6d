// Command flash is tipfy's flash and messages example. The page lists the
// messages of the request (s.Messages(): level, title and body) above a
// form.
//
//   - Posting some text keeps a flash in the session (s.Flash) and
//     redirects: the page after the redirect shows the flash, and a reload
//     of that page no longer does. A flash is read exactly once.
//   - Posting nothing shows the form again with an error added for this
//     request only (s.AddMessage): no redirect, nothing stored.
//
// A message with a Life is hidden by the page after that many seconds (a
// CSS animation); one without stays.
//
// In a browser: run it, open http://127.0.0.1:8080/, post something, then
// reload. With curl, after
//
//	go run ./examples/flash 8080
//
// in another terminal:
//
//	$ curl -s -c cookie.txt -b cookie.txt -d text=hello -w '%{http_code}\n' http://127.0.0.1:8080/
//	303
//	$ curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | grep hello
//	<p class="msg success" style="animation: fade 1s 5s forwards"><strong>Posted!</strong> hello</p>
//	$ curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | grep -c hello
//	0
//	$ curl -s -c cookie.txt -b cookie.txt -d text= -w '%{http_code}\n' http://127.0.0.1:8080/ | grep -e Nothing -e '^[0-9]'
//	<p class="msg error"><strong>Nothing to post.</strong> Type something first.</p>
//	422
//
// The flash shows once; the error comes with the answer to the post
// itself (422, no redirect), and nothing is stored for it.
//
// The sessions live in memory; their settings come from the environment
// (SECRET_KEY and the rest of session.ConfigFromEnv).
package main

import (
	"embed"
	"fmt"
	"log"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/examples/internal/site"
	"github.com/gowebpy/web/session"
)

// maxText bounds what a visitor can keep in the session.
const maxText = 200

// The templates are compiled into the program, so that it finds them from
// any working directory; html/template escapes every value for where it
// appears: what a visitor posts is shown as text, never as markup.
//
//go:embed templates
var templates embed.FS

// page is what the template shows.
type page struct {
	Messages []session.Message
	Text     string // what the visitor typed, when the form comes back
	Max      int
}

type index struct{ render *web.Templates }

// GET shows the page with the request's messages: the flashes, read once.
func (h index) GET(c *web.Context) (any, error) {
	return h.show(c.Session(), "")
}

// POST flashes the text and redirects, or shows the form again with an
// error message.
func (h index) POST(c *web.Context) (any, error) {
	in, err := c.Input()
	if err != nil {
		return nil, err
	}
	s := c.Session()
	text := strings.TrimSpace(in.Get("text"))
	switch {
	case text == "":
		s.AddMessage(session.Message{Level: "error", Title: "Nothing to post.", Body: "Type something first."})
	case utf8.RuneCountInString(text) > maxText:
		s.AddMessage(session.Message{Level: "error", Title: "Too long.",
			Body: fmt.Sprintf("Keep it to %d characters: it travels in the session.", maxText)})
	default:
		s.Flash(session.Message{Level: "success", Title: "Posted!", Body: text, Life: 5})
		return nil, web.SeeOther("/")
	}
	// 422: the request was understood, but its content is not acceptable.
	// Browsers show the page all the same.
	c.SetStatus(http.StatusUnprocessableEntity)
	return h.show(s, text)
}

// show renders the page with the messages of this request.
func (h index) show(s *session.Session, text string) (any, error) {
	return h.render.Render("index", page{Messages: s.Messages(), Text: text, Max: maxText})
}

// newApp builds the application with its sessions in memory.
func newApp() (*web.Application, *session.Manager, error) {
	app, err := web.New(web.URLs{
		"/", index{web.NewTemplatesFS(templates, "templates")},
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
