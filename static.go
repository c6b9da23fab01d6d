package web

import (
	"net/http"
	"os"
	"strings"
)

// serveStatic serves /static/NAME from StaticDir through an os.Root, so no
// path or symbolic link can leave the folder. When it cannot, it writes
// nothing and returns the error to answer with, which core answers as it
// answers any other request, so that a missing file gets the
// application's NotFound and error page rather than net/http's text.
func (a *Application) serveStatic(w http.ResponseWriter, r *http.Request) *Error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return &Error{Status: http.StatusMethodNotAllowed}
	}
	root, err := os.OpenRoot(a.StaticDir)
	if err != nil {
		return NotFound()
	}
	defer root.Close()
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	if name == "" || strings.HasSuffix(name, "/") || strings.Contains(name, "\x00") {
		return NotFound()
	}
	f, err := root.Open(name)
	if err != nil {
		return NotFound()
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return NotFound()
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, st.Name(), st.ModTime(), f)
	return nil
}
