package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gowebpy/web"
)

// hello is a handler type: the methods it has are the HTTP methods it
// answers, and what GET returns is the body.
type hello struct{}

func (hello) GET(c *web.Context) (any, error) {
	return "Hello, " + c.Param("name") + "!", nil
}

// item shows the captures of a web.py regex pattern, in order.
type item struct{}

func (item) GET(c *web.Context) (any, error) {
	return fmt.Sprintf("item %s, slug %s", c.Arg(0), c.Arg(1)), nil
}

// signup shows Input and the POST-then-SeeOther pattern.
type signup struct{}

func (signup) GET(c *web.Context) (any, error) {
	in, err := c.Input(web.Default("lang", "en"))
	if err != nil {
		return nil, err
	}
	return "sign up form in " + in.Get("lang"), nil
}

func (signup) POST(c *web.Context) (any, error) {
	in, err := c.Input(web.Required("name"))
	if err != nil {
		return nil, err // 400 "missing input: name"
	}
	return nil, web.SeeOther("/welcome?name=" + url.QueryEscape(in.Get("name")))
}

// show sends one request, with form as an urlencoded body when it is not
// empty, and prints the status, the Location if any, and the body.
func show(app *web.Application, method, target, form string) {
	r := httptest.NewRequest(method, target, strings.NewReader(form))
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	out := []string{method, target, "->", fmt.Sprint(w.Code)}
	for _, s := range []string{w.Header().Get("Location"), w.Body.String()} {
		if s != "" {
			out = append(out, s)
		}
	}
	fmt.Println(strings.Join(out, " "))
}

func ExampleURLs() {
	app, err := web.New(web.URLs{
		"/hello/:name", hello{},
		`/items/(\d+)/(\w+)`, item{},
		"/old/(.*)", web.Redirect(`/hello/\1`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	show(app, "GET", "/hello/world", "")
	show(app, "GET", "/items/12/abc", "")
	show(app, "GET", "/items/12", "")
	show(app, "GET", "/old/web.py?from=python", "")
	show(app, "DELETE", "/hello/world", "")
	// Output:
	// GET /hello/world -> 200 Hello, world!
	// GET /items/12/abc -> 200 item 12, slug abc
	// GET /items/12 -> 404 not found
	// GET /old/web.py?from=python -> 301 http://example.com/hello/web.py?from=python
	// DELETE /hello/world -> 405 method not allowed
}

// A function is a target too, as in web.py: it answers every method, and
// c.Method() tells them apart. OPTIONS is answered for it, without a call.
func ExampleURLs_function() {
	app, err := web.New(web.URLs{
		"/ping", func(c *web.Context) (any, error) {
			if c.Method() == "POST" {
				return nil, web.SeeOther("/ping")
			}
			return "pong", nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	show(app, "GET", "/ping", "")
	show(app, "POST", "/ping", "")
	show(app, "HEAD", "/ping", "")
	show(app, "OPTIONS", "/ping", "")
	// Output:
	// GET /ping -> 200 pong
	// POST /ping -> 303 http://example.com/ping
	// HEAD /ping -> 200
	// OPTIONS /ping -> 204
}

// listItems stands for a database query: it takes the request's context,
// so that it stops when the client goes away.
func listItems(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []string{"tea", "cake"}, nil
}

// JSON answers with a map, slice or struct encoded as JSON. Created is not
// a failure: the result returned with it is the body of the 201.
func ExampleJSON() {
	app, _ := web.New(web.URLs{
		"/items", func(c *web.Context) (any, error) {
			if c.Method() == "POST" {
				created := web.Created()
				created.Location = "/items/3"
				return web.JSON(map[string]any{"id": 3, "name": "scone"}), created
			}
			items, err := listItems(c.Context())
			if err != nil {
				return nil, err
			}
			return web.JSON(map[string]any{"items": items, "count": len(items)}), nil
		},
	})
	show(app, "GET", "/items", "")
	show(app, "POST", "/items", "")
	// Output:
	// GET /items -> 200 {"count":2,"items":["tea","cake"]}
	// POST /items -> 201 http://example.com/items/3 {"id":3,"name":"scone"}
}

// The request's context is done when the client goes away; a query given
// it stops, and the handler's error answers 500 (its cause logged).
func ExampleContext_Context() {
	app, _ := web.New(web.URLs{
		"/items", func(c *web.Context) (any, error) {
			items, err := listItems(c.Context())
			if err != nil {
				return nil, fmt.Errorf("listing items: %w", err)
			}
			return strings.Join(items, ", "), nil
		},
	})
	app.Logger = slog.New(slog.DiscardHandler)
	gone, cancel := context.WithCancel(context.Background())
	cancel() // the client hung up
	for _, ctx := range []context.Context{context.Background(), gone} {
		w := httptest.NewRecorder()
		app.ServeHTTP(w, httptest.NewRequest("GET", "/items", nil).WithContext(ctx))
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 200 tea, cake
	// 500 internal server error
}

// File gives an uploaded file's name and content, as web.py's
// web.input(myfile={}) does. The file name is the client's: data to show,
// never a path to write to.
func ExampleStorage_File() {
	app, _ := web.New(web.URLs{
		"/upload", func(c *web.Context) (any, error) {
			in, err := c.Input(web.RequiredFile("myfile"))
			if err != nil {
				return nil, err // 400 "missing file: myfile"
			}
			f := in.File("myfile") // not nil: RequiredFile saw to it
			r, err := f.Open()
			if err != nil {
				return nil, err
			}
			defer r.Close()
			content, err := io.ReadAll(r)
			if err != nil {
				return nil, err
			}
			return fmt.Sprintf("%s: %q (%d bytes), note %q", f.Filename, content, f.Size, in.Get("note")), nil
		},
	})

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "for the record")
	fw, _ := mw.CreateFormFile("myfile", "../../notes.txt")
	io.WriteString(fw, "hello, upload")
	mw.Close()

	r := httptest.NewRequest("POST", "/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	app.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body)
	// Output:
	// 200 notes.txt: "hello, upload" (13 bytes), note "for the record"
}

// RequiredFile asks for a file part, which a field of the same name is
// not: Required("myfile") would let both through, and File would be nil.
func ExampleRequiredFile() {
	app, _ := web.New(web.URLs{
		"/upload", func(c *web.Context) (any, error) {
			in, err := c.Input(web.RequiredFile("myfile"))
			if err != nil {
				return nil, err
			}
			return "got " + in.File("myfile").Filename, nil
		},
	})
	show(app, "POST", "/upload", "myfile=x")
	show(app, "POST", "/upload?myfile=x", "")
	// Output:
	// POST /upload -> 400 missing file: myfile
	// POST /upload?myfile=x -> 400 missing file: myfile
}

// Cookies is web.cookies(*required, **defaults): a missing required
// cookie answers 400, a default fills in for one not sent.
func ExampleContext_Cookies() {
	app, _ := web.New(web.URLs{
		"/", func(c *web.Context) (any, error) {
			ck, err := c.Cookies(web.Required("user"), web.Default("theme", "light"))
			if err != nil {
				return nil, err
			}
			return ck.Get("user") + " likes it " + ck.Get("theme"), nil
		},
	})
	for _, cookie := range []string{"user=ann", "user=bo; theme=dark", "theme=dark"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 200 ann likes it light
	// 200 bo likes it dark
	// 400 missing cookie: user
}

func ExampleURLs_conflict() {
	_, err := web.New(web.URLs{
		"/user/new", hello{},
		"/user/:name", hello{},
	})
	fmt.Println(err != nil, strings.Contains(err.Error(), `"/user/new"`))
	// Output:
	// true true
}

func ExampleContext_Input() {
	app, _ := web.New(web.URLs{"/signup", signup{}})
	show(app, "GET", "/signup", "")
	show(app, "GET", "/signup?lang=fr", "")
	show(app, "POST", "/signup", "email=a@example.com")
	show(app, "POST", "/signup?name=from-query", "name=Ann+Lee")
	// Output:
	// GET /signup -> 200 sign up form in en
	// GET /signup?lang=fr -> 200 sign up form in fr
	// POST /signup -> 400 missing input: name
	// POST /signup?name=from-query -> 303 http://example.com/welcome?name=Ann+Lee
}

func ExampleSeeOther() {
	app, _ := web.New(web.URLs{
		"/dir/rel", signup{},
		"/dir/other", handle(func(*web.Context) (any, error) { return nil, web.SeeOther("next") }),
	})
	// A relative target is resolved against the request path, as web.py does.
	show(app, "GET", "/dir/other", "")
	show(app, "POST", "/dir/rel", "name=bo")
	// Output:
	// GET /dir/other -> 303 http://example.com/dir/next
	// POST /dir/rel -> 303 http://example.com/welcome?name=bo
}

func Example() {
	var urls = web.URLs{
		"/", hello{},
		"/hello/:name", hello{},
	}
	app, err := web.New(urls)
	if err != nil {
		panic(err)
	}
	// app.Run() would serve it on the address given on the command line;
	// here httptest stands in for the network.
	show(app, "GET", "/hello/gopher", "")
	show(app, "HEAD", "/hello/gopher", "")
	// Output:
	// GET /hello/gopher -> 200 Hello, gopher!
	// HEAD /hello/gopher -> 200
}
