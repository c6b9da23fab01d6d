package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

// HTML is a handler result that is sent as text/html; charset=utf-8.
// Templates.Render returns one.
type HTML string

// JSON returns a handler result that is sent as application/json;
// charset=utf-8, v encoded by encoding/json (which escapes <, > and &, so
// the body is also safe inside HTML). A handler's own Content-Type, such
// as application/problem+json, is kept. A value encoding/json refuses (a
// channel, a cycle, a failing MarshalJSON) answers 500 with the cause
// logged, and nothing of it is sent: the body is encoded before the
// status goes out.
//
//	return web.JSON(map[string]any{"count": n}), nil
func JSON(v any) JSONResult { return JSONResult{Value: v} }

// JSONResult is the result JSON returns: Value, sent as JSON.
type JSONResult struct {
	Value any
}

// Templates renders the html/template files of a folder, like web.py's
// render = web.template.render("templates/"). Values are escaped for
// their HTML context by html/template.
//
//	var render = web.NewTemplates("templates")
//
//	func (index) GET(c *web.Context) (any, error) {
//		return render.Render("index.html", data)
//	}
type Templates struct {
	// Funcs are made available to every template.
	Funcs template.FuncMap
	// Reload parses the files again on every Render, so edits show
	// without a restart; leave it off in production.
	Reload bool

	dir  string
	fsys fs.FS // where dir is; nil means the operating system's files
	mu   sync.Mutex
	tmpl *template.Template
}

// NewTemplates returns the templates of dir. The files (*.html, *.tmpl)
// are parsed on the first Render.
func NewTemplates(dir string) *Templates { return &Templates{dir: dir} }

// NewTemplatesFS returns the templates in the folder dir of fsys, such as
// an embed.FS compiled into the program, so that it finds them from any
// working directory:
//
//	//go:embed templates
//	var files embed.FS
//	var render = web.NewTemplatesFS(files, "templates")
func NewTemplatesFS(fsys fs.FS, dir string) *Templates { return &Templates{dir: dir, fsys: fsys} }

// Render executes the template called name (its file name; the ".html"
// suffix may be left out) with data. The output is buffered, so a
// template error answers 500 instead of a half-written page.
func (t *Templates) Render(name string, data any) (HTML, error) {
	tmpl, err := t.load()
	if err != nil {
		return "", err
	}
	target := tmpl.Lookup(name)
	if target == nil && !strings.Contains(name, ".") {
		target = tmpl.Lookup(name + ".html")
	}
	if target == nil {
		return "", fmt.Errorf("web: no template %q in %s", name, t.dir)
	}
	var buf bytes.Buffer
	if err := target.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("web: template %q: %w", name, err)
	}
	return HTML(buf.String()), nil
}

func (t *Templates) load() (*template.Template, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tmpl != nil && !t.Reload {
		return t.tmpl, nil
	}
	fsys, dir := t.fsys, t.dir
	if fsys == nil {
		fsys, dir = os.DirFS(t.dir), "."
	}
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	root := template.New("").Funcs(t.Funcs)
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if e.IsDir() || (ext != ".html" && ext != ".tmpl") {
			continue
		}
		src, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		if _, err := root.New(e.Name()).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
	}
	t.tmpl = root
	return root, nil
}
