package session_test

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gowebpy/web/session"
)

// exampleKey signs the examples' cookies. A real application never writes
// its key in the source: it sets SECRET_KEY in the environment, or lets
// New generate one in a key file.
const exampleKey = "example-key-example-key-example-key-0"

// browser is a client that keeps cookies, as curl -c jar -b jar does.
func browser() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// show prints the body of a response.
func show(resp *http.Response, err error) {
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(strings.TrimSpace(string(b)))
}

// web.py's count example: each visitor counts their own visits.
func Example() {
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context()) // loaded on first use
		n := s.Int("count") + 1
		s.Set("count", n) // saved before the response goes out
		fmt.Fprintln(w, n)
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()

	ann, bob := browser(), browser()
	show(ann.Get(srv.URL + "/count"))
	show(ann.Get(srv.URL + "/count"))
	show(bob.Get(srv.URL + "/count")) // another cookie, another session
	show(ann.Get(srv.URL + "/count"))
	// Output:
	// 1
	// 2
	// 1
	// 3
}

// Logging in renews the session id, so that an id planted before the login
// (session fixation) is worthless; logging out kills the session, in the
// store and in the browser.
func Example_login() {
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if user := session.FromContext(r.Context()).String("user"); user != "" {
			fmt.Fprintln(w, "logged in as", user)
			return
		}
		fmt.Fprintln(w, "not logged in")
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		if r.FormValue("password") != "secret" { // a real app checks a password hash
			http.Error(w, "wrong password", http.StatusForbidden)
			return
		}
		s.RenewID()
		s.Set("user", r.FormValue("user"))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Kill()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()

	ann := browser()
	show(ann.PostForm(srv.URL+"/login", url.Values{"user": {"ann"}, "password": {"guess"}}))
	show(ann.PostForm(srv.URL+"/login", url.Values{"user": {"ann"}, "password": {"secret"}}))
	show(ann.PostForm(srv.URL+"/logout", nil))
	// Output:
	// wrong password
	// logged in as ann
	// not logged in
}

// A flash message survives one redirect and is shown once (tipfy's
// set_flash and get_flash).
func Example_flash() {
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		for _, msg := range session.FromContext(r.Context()).Flashes() {
			fmt.Fprintf(w, "[%s] %s\n", msg.Level, msg.Body)
		}
		fmt.Fprintln(w, "the page")
	})
	mux.HandleFunc("POST /save", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Flash(session.Message{Level: "success", Body: "Saved."})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	srv := httptest.NewServer(m.Middleware(mux))
	defer srv.Close()

	ann := browser()
	show(ann.PostForm(srv.URL+"/save", nil)) // the redirect shows the message
	show(ann.Get(srv.URL + "/"))             // a reload does not
	// Output:
	// [success] Saved.
	// the page
	// the page
}

// Several sessions in one request, each with its own store and cookie
// (tipfy's get_session(backend=...)): the visit count on the server, the
// theme in a cookie of its own.
func Example_named() {
	visits, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer visits.Close()
	cookies, err := session.NewCookieStore()
	if err != nil {
		log.Fatal(err)
	}
	prefs, err := session.New(cookies, session.Config{Name: "prefs", CookieName: "prefs", SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		p := session.Named(r.Context(), "prefs")
		if theme := r.URL.Query().Get("theme"); theme != "" {
			p.Set("theme", theme)
		}
		n := s.Int("visits") + 1
		s.Set("visits", n)
		fmt.Fprintf(w, "visit %d, theme %q\n", n, p.String("theme"))
	})
	srv := httptest.NewServer(visits.Middleware(prefs.Middleware(mux)))
	defer srv.Close()

	ann := browser()
	show(ann.Get(srv.URL + "/"))
	show(ann.Get(srv.URL + "/?theme=dark"))
	show(ann.Get(srv.URL + "/"))
	u, _ := url.Parse(srv.URL)
	for _, ck := range ann.Jar.Cookies(u) {
		fmt.Println("cookie", ck.Name)
	}
	// Output:
	// visit 1, theme ""
	// visit 2, theme "dark"
	// visit 3, theme "dark"
	// cookie sid
	// cookie prefs
}

// Reading a new session's id makes it stick, as JustPy's
// request.session_id: the next request has the same id, so it can name
// the visitor in a database before anything is stored in the session.
func ExampleSession_ID() {
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	var ids []string
	srv := httptest.NewServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, session.FromContext(r.Context()).ID())
	})))
	defer srv.Close()

	ann := browser()
	for range 2 {
		resp, err := ann.Get(srv.URL)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	fmt.Println("same id:", ids[0] == ids[1], "length:", len(ids[0]))
	// Output:
	// same id: true length: 36
}

// A struct set in one request comes back from the store as a map, as
// JSON decoding makes it; Decode gives it its type again.
func ExampleSession_Decode() {
	type cart struct {
		Items []string
		Total float64
	}
	m, err := session.New(session.NewMemoryStore(), session.Config{SecretKeys: []string{exampleKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	srv := httptest.NewServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		if r.URL.Path == "/add" {
			s.Set("cart", cart{Items: []string{"tea", "cake"}, Total: 7.5})
			return
		}
		var c cart
		if err := s.Decode("cart", &c); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%T in the session; decoded: %d items, %.2f", s.Get("cart"), len(c.Items), c.Total)
	})))
	defer srv.Close()

	ann := browser()
	resp, err := ann.Get(srv.URL + "/add")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	show(ann.Get(srv.URL + "/show"))
	// Output:
	// map[string]interface {} in the session; decoded: 2 items, 7.50
}
