package web_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/gowebpy/web"
)

// advisedRegex is the pattern a conflict message tells to rewrite, and
// the regex it suggests.
var advisedRegex = regexp.MustCompile("write \"([^\"]+)\" as a web.py regex such as `([^`]+)`")

// listedFirst is the pattern a conflict message tells to move to the top.
var listedFirst = regexp.MustCompile(`list "([^"]+)" first`)

// The advice of a conflict between two httprouter patterns names the
// pattern with the wildcard, whichever comes first, and taking it leads
// to an application that routes as the message says.
func TestConflictAdvice(t *testing.T) {
	tests := []struct {
		name    string
		urls    web.URLs
		mention string            // what else the advice must say
		routes  map[string]string // path: body (say shows the captures), once the advice is taken
	}{
		{"static first", web.URLs{"/user/new", say("new"), "/user/:name", say("user")},
			"to let the first win", map[string]string{"/user/new": "new", "/user/ann": "user name=ann"}},
		{"wildcard first", web.URLs{"/user/:name", say("user"), "/user/new", say("new")},
			`list "/user/new" first`, map[string]string{"/user/new": "new", "/user/ann": "user name=ann"}},
		{"wildcard first, the second longer", web.URLs{"/user/:name", say("user"), "/user/new/profile", say("profile")},
			"to keep this order", map[string]string{"/user/new/profile": "profile", "/user/ann": "user name=ann"}},
		{"two names", web.URLs{"/user/:id", say("id"), "/user/:name", say("name")},
			"to keep this order", map[string]string{"/user/ann": "id id=ann"}},
		{"catch-all", web.URLs{"/files/*path", say("files"), "/files/x.txt", say("x")},
			`list "/files/x.txt" first`, map[string]string{"/files/x.txt": "x", "/files/xatxt": "files path=/xatxt", "/files/a/b": "files path=/a/b"}},
		{"within a segment", web.URLs{"/src/file_x", say("x"), "/src/file_:name", say("file")},
			"to let the first win", map[string]string{"/src/file_x": "x", "/src/file_y": "file name=y", "/src/fileAy": "404"}},
	}
	for _, tt := range tests {
		_, err := web.New(tt.urls)
		var pe *web.PatternError
		if !errors.As(err, &pe) || pe.Conflict == "" {
			t.Fatalf("%s: got %v, want a conflict", tt.name, err)
		}
		if !strings.Contains(pe.Reason, tt.mention) {
			t.Errorf("%s: advice %q does not say %q", tt.name, pe.Reason, tt.mention)
		}
		m := advisedRegex.FindStringSubmatch(pe.Reason)
		if m == nil {
			t.Errorf("%s: advice %q suggests no regex", tt.name, pe.Reason)
			continue
		}
		if m[1] != pe.Pattern && m[1] != pe.Conflict || !strings.ContainsAny(m[1], ":*") {
			t.Errorf("%s: advice %q rewrites %q, not the pattern with the wildcard", tt.name, pe.Reason, m[1])
		}
		// Take the advice as it is worded: move a pattern to the top,
		// rewrite one.
		urls := append(web.URLs(nil), tt.urls...)
		if l := listedFirst.FindStringSubmatch(pe.Reason); l != nil {
			if l[1] != tt.urls[2] {
				t.Fatalf("%s: advice %q moves %q, not the second", tt.name, pe.Reason, l[1])
			}
			urls = web.URLs{tt.urls[2], tt.urls[3], tt.urls[0], tt.urls[1]}
		}
		for i := 0; i < len(urls); i += 2 {
			if urls[i] == m[1] {
				urls[i] = m[2]
			}
		}
		app, err := web.New(urls)
		if err != nil {
			t.Errorf("%s: the advice leads to %v", tt.name, err)
			continue
		}
		for path, want := range tt.routes {
			w := serve(app, "GET", path, nil)
			got := w.Body.String()
			if w.Code == 404 {
				got = "404"
			}
			if got != want {
				t.Errorf("%s: after the advice, GET %s = %q, want %q", tt.name, path, got, want)
			}
		}
	}
}

// The suggested regex keeps the captures' names, so c.Param still reads
// them.
func TestConflictAdviceKeepsParamNames(t *testing.T) {
	_, err := web.New(web.URLs{"/files/*path", say("1"), "/files/x", say("2")})
	m := advisedRegex.FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("no regex in %v", err)
	}
	app := newApp(t, web.URLs{m[2], func(c *web.Context) (any, error) { return c.Param("path"), nil }})
	if w := serve(app, "GET", "/files/a/b", nil); w.Body.String() != "/a/b" {
		t.Errorf("Param(\"path\") = %q, want %q as httprouter gives it", w.Body, "/a/b")
	}
}
