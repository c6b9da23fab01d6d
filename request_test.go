package web_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gowebpy/web"
	"github.com/gowebpy/web/session"
)

type greet struct{}

func (greet) GET(c *web.Context) (any, error) {
	return fmt.Sprintf("hello from %s to %s", c.HomeDomain(), c.IP()), nil
}

func (greet) POST(c *web.Context) (any, error) {
	in, err := c.Input(web.Required("name"))
	if err != nil {
		return nil, err
	}
	return "hello " + in.Get("name") + in.Get("q"), nil
}

func TestRequest(t *testing.T) {
	app, err := web.New(web.URLs{"/greet", greet{}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := read(app.Request("/greet", "", nil, nil)); code != 200 || body != "hello from http://0.0.0.0:8080 to 127.0.0.1" {
		t.Fatalf("GET /greet = %d %q", code, body)
	}
	if code, body := read(app.Request("/greet", "GET", nil, http.Header{"Host": {"example.org"}})); code != 200 || body != "hello from http://example.org to 127.0.0.1" {
		t.Fatalf("GET /greet with a Host = %d %q", code, body)
	}
	if code, body := read(app.Request("/greet?q=!", "POST", url.Values{"name": {"ann"}}, nil)); code != 200 || body != "hello ann!" {
		t.Fatalf("POST a form = %d %q", code, body)
	}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, body := range []any{"name=bob", []byte("name=bob"), strings.NewReader("name=bob")} {
		if code, got := read(app.Request("/greet", "POST", body, form)); code != 200 || got != "hello bob" {
			t.Fatalf("POST %T = %d %q", body, code, got)
		}
	}
	if code, body := read(app.Request("/greet", "POST", nil, nil)); code != 400 || body != "missing input: name" {
		t.Fatalf("POST without a name = %d %q", code, body)
	}
	resp, err := app.Request("/greet", "HEAD", nil, nil)
	if code, body := read(resp, err); code != 200 || body != "" || resp.Header.Get("Content-Length") == "0" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("HEAD = %d %q %v", code, body, resp.Header)
	}
	if code, _ := read(app.Request("/nope", "GET", nil, nil)); code != 404 {
		t.Fatalf("GET /nope = %d", code)
	}
	for _, bad := range []string{"", "greet", "http://x/greet", "/%zz"} {
		if _, err := app.Request(bad, "GET", nil, nil); err == nil {
			t.Errorf("Request(%q) built a request", bad)
		}
	}
	if _, err := app.Request("/greet", "POST", 42, nil); err == nil || !strings.Contains(err.Error(), "int") {
		t.Errorf("a body of 42: %v", err)
	}
}

// The headers a handler changes after the response started are not part
// of the response, as over a connection.
func TestRequestKeepsTheHeadersSent(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Before", "1")
		w.WriteHeader(http.StatusTeapot)
		w.Header().Set("X-After", "1")
		io.WriteString(w, "<p>short and stout</p>")
	})
	app, err := web.New(web.URLs{"/", h})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := app.Request("/", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Before") != "1" || resp.Header.Get("X-After") != "" {
		t.Fatalf("%s %v", resp.Status, resp.Header)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("sniffed type %q", ct)
	}
}

type visits struct{}

func (visits) GET(c *web.Context) (any, error) {
	s := c.Session()
	n := s.Int("n") + 1
	return n, s.Set("n", n)
}

// web.py's app.request: the session cookie goes back in the header.
func ExampleApplication_Request() {
	app, err := web.New(web.URLs{"/count", visits{}})
	if err != nil {
		log.Fatal(err)
	}
	sessions, err := session.New(session.NewMemoryStore(), session.Config{
		SecretKeys: []string{"an example key of at least thirty-two bytes"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer sessions.Close()
	app.Use(sessions.Middleware)

	resp, err := app.Request("/count", "GET", nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))

	cookie := resp.Cookies()[0]
	resp, err = app.Request("/count", "GET", nil, http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}})
	if err != nil {
		log.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 200 OK 1
	// 200 OK 2
}
