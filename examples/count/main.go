// Command count is web.py's session example in Go: /count counts your
// visits in a session kept in the folder ./sessions, /reset kills it.
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

// newApp builds the application with its sessions kept in dir.
func newApp(dir string) (*web.Application, *session.Manager, error) {
	app, err := web.New(urls)
	if err != nil {
		return nil, nil, err
	}
	store, err := diskstore.New(dir)
	if err != nil {
		return nil, nil, err
	}
	sessions, err := session.New(store, session.Config{
		Initializer: map[string]any{"count": 0},
	})
	if err != nil {
		return nil, nil, err
	}
	app.Use(sessions.Middleware)
	return app, sessions, nil
}

func main() {
	app, sessions, err := newApp("sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
