// Command count is web.py's session example in Go: /count counts your
// visits in a session kept in the folder ./sessions, /reset kills it.
// Start it with
//
//	go run ./examples/count 8080
//
// and in another terminal (-w '\n' ends each answer with the newline it
// does not have of its own):
//
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	1
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	2
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	3
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/reset
//	Reset
//	$ curl -w '\n' -c cookie.txt -b cookie.txt http://127.0.0.1:8080/count
//	1
//
// The same program keeps its sessions in a database or in Redis when the
// SESSION_STORE environment variable names one (see openStore):
//
//	SESSION_STORE=sqlite go run ./examples/count 8080
//	SESSION_STORE=postgres://postgres@127.0.0.1/test go run ./examples/count 8081
package main

import (
	"errors"
	"log"
	"os"

	"github.com/gowebpy/web"
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

// newApp builds the application with its sessions in the store named by
// storeSpec (SESSION_STORE); dir is the DiskStore's folder by default.
// stop closes the session manager and the store.
func newApp(storeSpec, dir string) (app *web.Application, stop func() error, err error) {
	app, err = web.New(urls)
	if err != nil {
		return nil, nil, err
	}
	store, closeStore, err := openStore(storeSpec, dir)
	if err != nil {
		return nil, nil, err
	}
	cfg := session.Config{Initializer: map[string]any{"count": 0}}
	cfg.ErrorHandler = web.SessionErrorPage(cfg) // a browser gets "Bad Cookie" as a page with a way back
	sessions, err := session.New(store, cfg)
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	app.Use(sessions.Middleware)
	return app, func() error { return errors.Join(sessions.Close(), closeStore()) }, nil
}

func main() {
	app, stop, err := newApp(os.Getenv("SESSION_STORE"), "sessions")
	if err != nil {
		log.Fatal(err)
	}
	defer stop()
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
