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
// reload. With curl:
//
//	go run ./examples/flash 8080
//	curl -s -c cookie.txt -b cookie.txt -d text=hello -w '%{http_code}\n' http://127.0.0.1:8080/  # 303
//	curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | grep hello   # Posted! hello
//	curl -s -c cookie.txt -b cookie.txt http://127.0.0.1:8080/ | grep hello   # nothing: read once
//	curl -s -c cookie.txt -b cookie.txt -d text= http://127.0.0.1:8080/ | grep Nothing   # 422, no redirect
//
// The sessions live in memory; their settings come from the environment
// (SECRET_KEY and the rest of session.ConfigFromEnv).
package main

import (
	"fmt"
	"html/template"
	"log"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

var urls = web.URLs{
	"/", index{},
}

// maxText bounds what a visitor can keep in the session.
const maxText = 200

// page is what the template shows.
type page struct {
	Messages []session.Message
	Text     string // what the visitor typed, when the form comes back
	Max      int
}

// html/template escapes every value for where it appears: what a visitor
// posts is shown as text, never as markup.
var tmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Flash and messages</title>
<style>
.success{background:#dfd} .error{background:#fdd} .info{background:#ddf}
@keyframes fade{to{opacity:0;visibility:hidden}}
</style>
<h1>Flash and messages</h1>
{{range .Messages}}<div class="{{.Level}}"{{if .Life}} style="animation: fade 1s {{.Life}}s forwards"{{end}}>
{{with .Title}}<strong>{{.}}</strong> {{end}}{{.Body}}
</div>
{{else}}<p>No messages.</p>
{{end}}
<form method="post" action="/">
<label>Say something <input name="text" value="{{.Text}}" maxlength="{{.Max}}"></label>
<button>Post</button>
</form>
`))

type index struct{}

// GET shows the page with the request's messages: the flashes, read once.
func (index) GET(c *web.Context) (any, error) {
	return show(c.Session(), "")
}

// POST flashes the text and redirects, or shows the form again with an
// error message.
func (index) POST(c *web.Context) (any, error) {
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
	return show(s, text)
}

// show renders the page with the messages of this request.
func show(s *session.Session, text string) (any, error) {
	var b strings.Builder
	if err := tmpl.Execute(&b, page{Messages: s.Messages(), Text: text, Max: maxText}); err != nil {
		return nil, err
	}
	return web.HTML(b.String()), nil
}

// newApp builds the application with its sessions in memory.
func newApp() (*web.Application, *session.Manager, error) {
	app, err := web.New(urls)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := session.ConfigFromEnv(session.Config{})
	if err != nil {
		return nil, nil, err
	}
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
