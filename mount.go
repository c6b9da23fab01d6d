package web

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// mountKey is the context key under which a parent application tells a
// sub-application where it mounted it.
type mountKey struct{}

// mount is what a parent application passes to the sub-application it
// mounts. It names the child, since the context reaches whatever the
// child serves too, another Application among them.
type mount struct {
	app      *Application
	homePath string
}

func contextWithMount(r *http.Request, child *Application, homePath string) context.Context {
	return context.WithValue(r.Context(), mountKey{}, mount{child, homePath})
}

// strippedPrefix returns the prefix that a router in front of the
// application removed from the request path, as http.StripPrefix does,
// and the request with a path that begins with a slash. The prefix is
// what the client sent (net/http keeps it in RequestURI) before the path
// the application got; it is the home path, as web.py's SCRIPT_NAME, so
// that Home, redirects and default cookie paths carry it. Only a clean
// prefix counts ("/app", not "/" nor "/a/.."), so that a middleware that
// merely cleans the path moves no home.
func strippedPrefix(r *http.Request) (string, *http.Request) {
	got := r.URL.Path
	sentPath, _, _ := strings.Cut(r.RequestURI, "?")
	if sentPath == got || r.RequestURI == "" || r.RequestURI == "*" {
		return "", r // what nearly every request is, without parsing
	}
	sent, err := url.ParseRequestURI(r.RequestURI)
	if err != nil || sent.Path == got || !strings.HasSuffix(sent.Path, got) {
		return "", r
	}
	home := sent.Path[:len(sent.Path)-len(got)]
	if strings.HasPrefix(got, "/") || got == "" && !strings.HasSuffix(home, "/") {
		if !cleanPrefix(home) {
			return "", r
		}
		return home, r
	}
	// StripPrefix("/app/") leaves "x" of "/app/x", and "" of "/app/":
	// the slash is the application's.
	home, ok := strings.CutSuffix(home, "/")
	if !ok || !cleanPrefix(home) {
		return "", r
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = "/" + u.Path
	if u.RawPath != "" {
		u.RawPath = "/" + u.RawPath
	}
	r2.URL = &u
	return home, r2
}

// mountedPath returns MountPath and the request with its path under it,
// for a request that a router passed on with the prefix in the path; a
// request outside the prefix is served as it comes.
func (a *Application) mountedPath(r *http.Request) (string, *http.Request) {
	home := strings.TrimSuffix(a.MountPath, "/")
	rest, ok := strings.CutPrefix(r.URL.Path, home)
	if !ok || rest != "" && rest[0] != '/' {
		return strippedPrefix(r)
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path, u.RawPath = "/"+strings.TrimPrefix(rest, "/"), ""
	if raw, ok := strings.CutPrefix(r.URL.RawPath, home); ok {
		u.RawPath = "/" + strings.TrimPrefix(raw, "/")
	}
	r2.URL = &u
	return home, r2
}

// cleanPrefix reports whether home can be a home path: "/app", not "",
// "/" nor "/a/..".
func cleanPrefix(home string) bool {
	return home != "/" && strings.HasPrefix(home, "/") && home == path.Clean(home)
}

// serveMount hands the request to a sub-application with the prefix
// removed from its path, as web.py does for a mounted application.
func (a *Application) serveMount(c *Context, ep *endpoint, rest string) {
	r := c.Request
	r2 := r.WithContext(contextWithMount(r, ep.mount, c.homePath+ep.pattern))
	u := *r.URL
	u.Path = rest
	u.RawPath = ""
	if r.URL.RawPath != "" {
		if rp, ok := strings.CutPrefix(r.URL.RawPath, ep.pattern); ok {
			u.RawPath = rp
		}
	}
	r2.URL = &u
	ep.mount.ServeHTTP(c.Response, r2)
}
