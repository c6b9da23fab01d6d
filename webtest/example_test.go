package webtest_test

import (
	"fmt"
	"log"
	"net/http"
	"net/url"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
	"github.com/gowebpy/web/webtest"
)

type count struct{}

func (count) GET(c *web.Context) (any, error) {
	s := c.Session()
	n := s.Int("count") + 1
	return n, s.Set("count", n)
}

type click struct{}

func (click) POST(c *web.Context) (any, error) { return nil, web.SeeOther("/count") }

// countApp is web.py's session example with its sessions in memory.
func countApp() (*web.Application, *session.Manager) {
	app, err := web.New(web.URLs{"/count", count{}, "/click", click{}})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := session.New(session.NewMemoryStore(), session.Config{
		SecretKeys: []string{"an example key of at least thirty-two bytes"},
	})
	if err != nil {
		log.Fatal(err)
	}
	app.Use(sessions.Middleware)
	return app, sessions
}

// A client keeps the session cookie as curl -c jar -b jar does, and a
// forged cookie shows how the application takes tampering. In a test,
// pass the *testing.T instead of log.Default().
func ExampleClient() {
	app, sessions := countApp()
	defer sessions.Close()

	c := webtest.New(log.Default(), app)
	first := c.Get("/count") // sets the cookie
	fmt.Println(first.Body, "HttpOnly:", first.Cookie("sid").HttpOnly)
	fmt.Println(c.Get("/count").Body) // sends it back

	c.SetCookie(&http.Cookie{Name: "sid", Value: "forged"})
	r := c.Get("/count")
	fmt.Println(r.Status, r.Body)
	fmt.Println("cleared:", r.Cookie("sid").MaxAge < 0, c.Cookie("sid") == nil)
	// Output:
	// 1 HttpOnly: true
	// 2
	// 400 Bad Cookie
	// cleared: true true
}

// NoFollow shows a redirect as it comes, as curl without -L; it shares
// the jar with the client it came from.
func ExampleClient_NoFollow() {
	app, sessions := countApp()
	defer sessions.Close()

	c := webtest.New(log.Default(), app)
	r := c.NoFollow().PostForm("/click", url.Values{})
	fmt.Println(r.Status, r.Location())
	r = c.PostForm("/click", url.Values{})
	fmt.Println(r.Request.Method, r.Request.URL.Path, r.Body)
	// Output:
	// 303 /count
	// GET /count 1
}
