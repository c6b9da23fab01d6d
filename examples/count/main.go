// Command count is web.py's session example in Go: /count counts your
// visits in a session kept in ./sessions, /reset kills the session.
//
//	go run ./examples/count 8080
//	curl -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count   # 1
//	curl -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count   # 2
//	curl -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count   # 3
//	curl -c cookie.txt -b cookie.txt http://127.0.0.1:8080/reset   # Reset
//	curl -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count   # 1
package main

import (
	"log"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/diskstore"
	"github.com/gowebpy/web/session"
)

var urls = web.URLs{
	"/count", count{},
	"/reset", reset{},
}

type count struct{}

func (count) GET(c *web.Context) (any, error) {
	s := c.Session()
	n := s.Int("count") + 1
	s.Set("count", n)
	return n, nil
}

type reset struct{}

func (reset) GET(c *web.Context) (any, error) {
	c.Session().Kill()
	return "Reset", nil
}

func main() {
	app, err := web.New(urls)
	if err != nil {
		log.Fatal(err)
	}
	// Store session data in the folder "sessions", beside where you run it.
	store, err := diskstore.New("sessions")
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := session.New(store, session.Config{
		Initializer: map[string]any{"count": 0},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	app.Use(sessions.Middleware)
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
