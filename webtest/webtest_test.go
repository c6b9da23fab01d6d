package webtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gowebpy/web/webtest"
)

// counter is a handler with a cookie-kept count, a form that redirects,
// and a page that reports what the server saw of the request.
func counter() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		n := 0
		if ck, err := r.Cookie("n"); err == nil {
			n, _ = strconv.Atoi(ck.Value)
		}
		n++
		http.SetCookie(w, &http.Cookie{Name: "n", Value: strconv.Itoa(n), Path: "/", HttpOnly: true})
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("GET /reset", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "n", Path: "/", MaxAge: -1})
		fmt.Fprint(w, "Reset")
	})
	mux.HandleFunc("POST /say", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "said", Value: url.QueryEscape(r.PostFormValue("text")), Path: "/"})
		http.Redirect(w, r, "/heard", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /heard", func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie("said")
		if ck == nil {
			fmt.Fprint(w, "nothing")
			return
		}
		v, _ := url.QueryUnescape(ck.Value)
		fmt.Fprint(w, v)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s host=%s remote=%s accept=%s", r.Method, r.RequestURI, r.Host, r.RemoteAddr, r.Header.Get("Accept"))
	})
	return mux
}

func TestKeepsCookies(t *testing.T) {
	c := webtest.New(t, counter())
	for _, want := range []string{"1", "2", "3"} {
		if r := c.Get("/count"); r.Status != http.StatusOK || r.Body != want {
			t.Fatalf("GET /count:\n%v\nwant %s", r, want)
		}
	}
	if ck := c.Cookie("n"); ck == nil || ck.Value != "3" {
		t.Fatalf("the jar holds %v; want n=3", ck)
	}
	r := c.Get("/reset")
	if ck := r.Cookie("n"); ck == nil || ck.MaxAge >= 0 {
		t.Fatalf("/reset set %v; want a deletion", ck)
	}
	if ck := c.Cookie("n"); ck != nil {
		t.Fatalf("the jar still holds %v after a deletion", ck)
	}
	if r := c.Get("/count"); r.Body != "1" {
		t.Fatalf("after /reset: %v", r)
	}
	if ck := c.Get("/count").Cookie("n"); ck == nil || !ck.HttpOnly || ck.Path != "/" {
		t.Fatalf("the response's cookie lacks its attributes: %#v", ck)
	}
}

func TestTwoClientsDoNotShare(t *testing.T) {
	h := counter()
	ann, bob := webtest.New(t, h), webtest.New(t, h)
	ann.Get("/count")
	ann.Get("/count")
	if r := bob.Get("/count"); r.Body != "1" {
		t.Fatalf("bob's first visit: %v", r)
	}
}

func TestForgeAndDrop(t *testing.T) {
	c := webtest.New(t, counter())
	c.Get("/count")
	c.SetCookie(&http.Cookie{Name: "n", Value: "41"})
	if r := c.Get("/count"); r.Body != "42" {
		t.Fatalf("a forged n=41: %v", r)
	}
	c.DeleteCookie("n")
	if len(c.Cookies()) != 0 {
		t.Fatalf("the jar holds %v after DeleteCookie", c.Cookies())
	}
	if r := c.Get("/count"); r.Body != "1" {
		t.Fatalf("after DeleteCookie: %v", r)
	}
}

func TestRedirects(t *testing.T) {
	c := webtest.New(t, counter())
	r := c.PostForm("/say", url.Values{"text": {"hello there"}})
	if r.Status != http.StatusOK || r.Body != "hello there" || r.Request.Method != http.MethodGet || r.Request.URL.Path != "/heard" {
		t.Fatalf("a followed 303:\n%v", r)
	}
	nf := c.NoFollow()
	r = nf.PostForm("/say", url.Values{"text": {"again"}})
	if r.Status != http.StatusSeeOther || r.Location() != "/heard" || r.Cookie("said") == nil || r.Request.URL.Path != "/say" {
		t.Fatalf("a 303 not followed:\n%v", r)
	}
	// The twins share one jar.
	if r := c.Get("/heard"); r.Body != "again" {
		t.Fatalf("the cookie set through NoFollow: %v", r)
	}
	if r := c.Get("/count"); r.Location() != "" {
		t.Fatalf("Location of a 200 = %q", r.Location())
	}
}

func TestWhatTheHandlerSees(t *testing.T) {
	c := webtest.New(t, counter())
	if r := c.Get("/echo?q=1"); r.Body != "GET /echo?q=1 host=example.com remote=192.0.2.1:1234 accept=" {
		t.Fatalf("GET /echo: %q", r.Body)
	}
	c.Header.Set("Accept", "text/html")
	c.RemoteAddr = "198.51.100.7:4321"
	if r := c.Get("/echo"); r.Body != "GET /echo host=example.com remote=198.51.100.7:4321 accept=text/html" {
		t.Fatalf("with Header and RemoteAddr: %q", r.Body)
	}
	// A request's own header wins over the client's, and Do leaves the
	// request alone.
	req := httptest.NewRequest(http.MethodPut, "/echo", strings.NewReader("x"))
	req.Header.Set("Accept", "text/plain")
	if r := c.Do(req); r.Body != "PUT /echo host=example.com remote=198.51.100.7:4321 accept=text/plain" {
		t.Fatalf("Do(httptest.NewRequest(...)): %q", r.Body)
	}
	if req.RequestURI != "/echo" || req.URL.IsAbs() {
		t.Fatalf("Do changed the request: %q %v", req.RequestURI, req.URL)
	}
	head, err := http.NewRequest(http.MethodHead, "/count", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Do(head); r.Status != http.StatusOK || r.Body != "" {
		t.Fatalf("HEAD /count: %v", r)
	}
}

func TestParallelRequestsOfOneVisitor(t *testing.T) {
	c := webtest.New(t, counter())
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { c.Get("/echo") })
	}
	wg.Wait()
}

// fakeT records what a client reports.
type fakeT struct{ msgs []string }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.msgs = append(f.msgs, fmt.Sprintf(format, args...))
}

func TestReportsWhatCannotBeSent(t *testing.T) {
	f := &fakeT{}
	c := webtest.New(f, counter())
	if r := c.Get("%zz"); r != nil || len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "%zz") {
		t.Fatalf("GET %%zz = %v, reported %q", r, f.msgs)
	}
	loop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/", http.StatusFound) })
	f.msgs = nil
	if r := webtest.New(f, loop).Get("/"); r != nil || len(f.msgs) != 1 || !strings.Contains(f.msgs[0], "redirects") {
		t.Fatalf("a redirect loop = %v, reported %q", r, f.msgs)
	}
	// The same loop, not followed, is an answer like any other.
	if r := webtest.New(f, loop).NoFollow().Get("/"); r.Status != http.StatusFound {
		t.Fatalf("not followed: %v", r)
	}
}

func TestResponseString(t *testing.T) {
	r := webtest.New(t, counter()).Get("/count")
	s := r.String()
	for _, want := range []string{"GET /count\n", "HTTP/1.1 200 OK\n", "Set-Cookie: n=1; Path=/; HttpOnly\n", "\n\n1"} {
		if !strings.Contains(s, want) {
			t.Fatalf("String() lacks %q:\n%s", want, s)
		}
	}
}
