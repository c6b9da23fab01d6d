package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gowebpy/web"
)

// A /static/ file that is not there is answered as any other page that
// is not: through the processors and the NotFound hook, with the error
// page a browser gets, not net/http's "404 page not found".
func TestStaticMissAnswersAsTheApp(t *testing.T) {
	app := newApp(t, web.URLs{"/", returns("root", nil)})
	app.StaticDir = staticTree(t)
	if w := serve(app, "GET", "/static/missing.css", nil); w.Code != 404 || w.Body.String() != "not found" {
		t.Errorf("curl: got %d %q, want 404 \"not found\"", w.Code, w.Body)
	}
	w := serve(app, "GET", "/static/missing.css", nil, "Accept", "text/html")
	if w.Code != 404 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") || !strings.Contains(w.Body.String(), "There is no page at /static/missing.css.") {
		t.Errorf("browser: got %d %v %q, want the app's error page", w.Code, w.Header(), w.Body)
	}
	w = serve(app, "POST", "/static/hello.txt", nil)
	if w.Code != 405 || w.Header().Get("Allow") != "GET, HEAD" || w.Body.String() != "method not allowed" {
		t.Errorf("POST: got %d %v %q", w.Code, w.Header(), w.Body)
	}

	var seen []string
	app.AddProcessor(func(c *web.Context, next func() (any, error)) (any, error) {
		seen = append(seen, c.Path())
		return next()
	})
	app.NotFound = func(c *web.Context) (any, error) {
		return "no " + c.Path() + " here", web.NotFound()
	}
	for _, path := range []string{"/static/missing.css", "/static/sub/", "/nowhere"} {
		if w := serve(app, "GET", path, nil); w.Code != 404 || w.Body.String() != "not found" {
			t.Errorf("%s with NotFound: got %d %q", path, w.Code, w.Body)
		}
	}
	app.NotFound = func(c *web.Context) (any, error) {
		c.SetStatus(http.StatusNotFound)
		return "no " + c.Path() + " here", nil
	}
	if w := serve(app, "GET", "/static/missing.css", nil); w.Code != 404 || w.Body.String() != "no /static/missing.css here" {
		t.Errorf("with NotFound: got %d %q", w.Code, w.Body)
	}
	// A file that is there is served as before, without the processors.
	if w := serve(app, "GET", "/static/hello.txt", nil); w.Code != 200 || w.Body.String() != "hello static" {
		t.Errorf("hello.txt: got %d %q", w.Code, w.Body)
	}
	if want := "/static/missing.css /static/sub/ /nowhere /static/missing.css"; strings.Join(seen, " ") != want {
		t.Errorf("processors saw %q, want %q", seen, want)
	}
}
