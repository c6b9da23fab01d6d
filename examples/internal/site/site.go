// Package site holds what the examples' pages share: one small stylesheet
// and a favicon. They are compiled into each program with embed, so that
// `go run ./examples/NAME` finds them whatever the working directory; the
// framework's own StaticDir is a folder of the working directory, which
// for `go run` from the repository's root is not the example's.
package site

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// Static returns the handler of the shared files, for the example's URLs:
//
//	"/static/*file", site.Static(),
//
// with the application's StaticDir set to "", so that the framework does
// not look for a ./static folder first. Folders are not listed.
func Static() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		// fs.Sub fails only for an invalid name, and "static" is valid.
		return http.NotFoundHandler()
	}
	fileServer := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}
