// Command hello is the smallest application: one URL, one handler type.
//
//	go run ./examples/hello 8080
//
// and in another terminal:
//
//	$ curl http://127.0.0.1:8080/
//	Hello, world!
//	$ curl http://127.0.0.1:8080/hello/world
//	Hello, world!
package main

import (
	"log"

	"github.com/gowebpy/web"
)

var urls = web.URLs{
	"/", index{},
	"/hello/:name", hello{},
}

type index struct{}

func (index) GET(c *web.Context) (any, error) {
	return "Hello, world!\n", nil
}

type hello struct{}

func (hello) GET(c *web.Context) (any, error) {
	return "Hello, " + c.Param("name") + "!\n", nil
}

func main() {
	app, err := web.New(urls)
	if err != nil {
		log.Fatal(err)
	}
	if err := app.Run(); err != nil {
		log.Fatal(err)
	}
}
