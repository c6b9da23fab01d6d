package web_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"github.com/gowebpy/web"
)

// upload is one part of a multipart body: a field when filename is "",
// else a file.
type upload struct{ name, filename, content string }

func uploadBody(t *testing.T, parts ...upload) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.filename == "" {
			if err := mw.WriteField(p.name, p.content); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename))
		h.Set("Content-Type", "image/png") // what the client claims
		fw, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, p.content)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// describe reports a file header as "name size content".
func describe(f *multipart.FileHeader) string {
	if f == nil {
		return "nil"
	}
	r, err := f.Open()
	if err != nil {
		return "open: " + err.Error()
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	return fmt.Sprintf("%s %d %s", f.Filename, f.Size, b)
}

func TestFiles(t *testing.T) {
	var got []string
	app := newApp(t, web.URLs{"/up", func(c *web.Context) (any, error) {
		in, err := c.Input(web.Required("photo"))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, f := range in.Files("doc") {
			names = append(names, describe(f))
		}
		got = []string{
			describe(in.File("photo")),
			describe(in.File("doc")), // the last of several
			strings.Join(names, ", "),
			describe(in.File("title")),      // a field, not a file
			describe(in.File("nothing")),    // absent
			fmt.Sprint(in.Files("nothing")), // absent
			fmt.Sprintf("%q %v %v", in.Get("doc"), in.Has("doc"), in.Keys()),
			in.Get("title"),
			in.File("photo").Header.Get("Content-Type"),
		}
		return "ok", nil
	}})
	body, ctype := uploadBody(t,
		upload{"title", "", "holiday"},
		upload{"photo", "../../etc/passwd", "PNG..."},
		upload{"doc", "a.txt", "first"},
		upload{"doc", `C:\Users\ann\b.txt`, "second"},
	)
	w := serve(app, "POST", "/up", body, "Content-Type", ctype)
	if w.Code != 200 {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	want := []string{
		// The client's path is not kept; the name is data.
		"passwd 6 PNG...",
		`C:\Users\ann\b.txt 6 second`,
		`a.txt 5 first, C:\Users\ann\b.txt 6 second`,
		"nil",
		"nil",
		"[]",
		`"" true [doc photo title]`,
		"holiday",
		"image/png",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A required file that is not there, and files where none can be.
	tests := []struct {
		name, method, target string
		body                 func() (io.Reader, string)
		opts                 []web.InputOption
		code                 int
		want                 string
	}{
		{"required file missing", "POST", "/", func() (io.Reader, string) { return uploadBody(t, upload{"title", "", "x"}) },
			[]web.InputOption{web.Required("photo")}, 400, "missing input: photo"},
		{"FromQuery reads no files", "POST", "/", func() (io.Reader, string) { return uploadBody(t, upload{"photo", "p.png", "x"}) },
			[]web.InputOption{web.FromQuery()}, 200, "nil"},
		{"urlencoded body", "POST", "/", func() (io.Reader, string) {
			return strings.NewReader("photo=p.png"), "application/x-www-form-urlencoded"
		}, nil, 200, "nil"},
		{"GET", "GET", "/?photo=p.png", func() (io.Reader, string) { return nil, "" }, nil, 200, "nil"},
		{"empty file", "POST", "/", func() (io.Reader, string) { return uploadBody(t, upload{"photo", "empty.txt", ""}) },
			nil, 200, "empty.txt 0 "},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", func(c *web.Context) (any, error) {
			in, err := c.Input(tt.opts...)
			if err != nil {
				return nil, err
			}
			return describe(in.File("photo")), nil
		}})
		body, ctype := tt.body()
		w := serve(app, tt.method, tt.target, body, "Content-Type", ctype)
		if w.Code != tt.code || w.Body.String() != tt.want {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, w.Code, w.Body, tt.code, tt.want)
		}
	}
}

func TestFileOverBodyLimit(t *testing.T) {
	called := false
	app := newApp(t, web.URLs{"/up", func(c *web.Context) (any, error) {
		in, err := c.Input()
		if err != nil {
			return nil, err
		}
		called = true
		return describe(in.File("f")), nil
	}})
	app.MaxBodyBytes = 1 << 10
	body, ctype := uploadBody(t, upload{"f", "big.bin", strings.Repeat("x", 2<<10)})
	w := serve(app, "POST", "/up", body, "Content-Type", ctype)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "1024 bytes") || called {
		t.Errorf("got %d %q (handler went on: %v), want 413 naming the limit", w.Code, w.Body, called)
	}
	// Within the limit, a body of more parts than mime/multipart takes
	// (1000) is too large as well, not malformed.
	app.MaxBodyBytes = 10 << 20
	parts := make([]upload, 1100)
	for i := range parts {
		parts[i] = upload{name: "f", content: "x"}
	}
	body, ctype = uploadBody(t, parts...)
	w = serve(app, "POST", "/up", body, "Content-Type", ctype)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "too large") || called {
		t.Errorf("1100 parts: got %d %q (handler went on: %v), want 413", w.Code, w.Body, called)
	}
}

// TestFileStreamedBackThenRemoved returns an upload's temporary file as
// the body: it must still be there while the response is written, and
// gone after.
func TestFileStreamedBackThenRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where mime/multipart spills large parts
	var spilled int
	app := newApp(t, web.URLs{"/echo", func(c *web.Context) (any, error) {
		in, err := c.Input()
		if err != nil {
			return nil, err
		}
		f := in.File("f")
		if f == nil {
			return nil, web.BadRequest("no file")
		}
		entries, _ := os.ReadDir(tmp)
		spilled = len(entries)
		c.SetHeader("Content-Type", "application/octet-stream")
		return f.Open()
	}})
	app.MaxBodyBytes = 32 << 20
	content := strings.Repeat("0123456789", 1<<20) // 10 MiB, over what is kept in memory
	body, ctype := uploadBody(t, upload{"f", "big.bin", content})
	w := serve(app, "POST", "/echo", body, "Content-Type", ctype)
	if w.Code != 200 || w.Body.Len() != len(content) || w.Body.String() != content {
		t.Fatalf("got %d, %d bytes back, want 200 and the %d bytes sent", w.Code, w.Body.Len(), len(content))
	}
	if spilled == 0 {
		t.Fatal("the upload was not spilled to a temporary file; the test proves nothing")
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestCookiesStorage(t *testing.T) {
	echo := func(opts ...web.InputOption) func(*web.Context) (any, error) {
		return func(c *web.Context) (any, error) {
			ck, err := c.Cookies(opts...)
			if err != nil {
				return nil, err
			}
			var b strings.Builder
			for _, k := range ck.Keys() {
				fmt.Fprintf(&b, "%s=%s%q ", k, ck.Get(k), ck.List(k))
			}
			return strings.TrimSpace(b.String()), nil
		}
	}
	tests := []struct {
		name   string
		cookie string
		opts   []web.InputOption
		code   int
		want   string
	}{
		{"none", "", nil, 200, ""},
		{"some", "a=1; b=two", nil, 200, `a=1["1"] b=two["two"]`},
		// web.py keeps the last of a repeated name.
		{"repeated", "a=1; b=2; a=3", nil, 200, `a=3["1" "3"] b=2["2"]`},
		{"default", "a=1", []web.InputOption{web.Default("theme", "light")}, 200, `a=1["1"] theme=light["light"]`},
		{"sent wins over default", "theme=dark", []web.InputOption{web.Default("theme", "light")}, 200, `theme=dark["dark"]`},
		{"required present", "token=t0k", []web.InputOption{web.Required("token")}, 200, `token=t0k["t0k"]`},
		{"required empty is present", "token=", []web.InputOption{web.Required("token")}, 200, `token=[""]`},
		{"required missing", "a=1", []web.InputOption{web.Required("token", "a", "user")}, 400, "missing cookie: token, user"},
		{"required met by default", "", []web.InputOption{web.Required("page"), web.Default("page", "1")}, 200, `page=1["1"]`},
		// Values as sent: no URL-unquoting; the quotes of a quoted value go.
		{"escaped value", `v=a%20b%; q="x y"`, nil, 200, `q=x y["x y"] v=a%20b%["a%20b%"]`},
		{"FromQuery means nothing", "a=1", []web.InputOption{web.FromQuery()}, 200, `a=1["1"]`},
		{"malformed pairs skipped", "a=1; ==; (x)=2", nil, 200, `a=1["1"]`},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", echo(tt.opts...)})
		var header []string
		if tt.cookie != "" {
			header = []string{"Cookie", tt.cookie}
		}
		// The query and the body are not cookies.
		w := serve(app, "POST", "/?a=query", strings.NewReader("a=form&token=form"), append(header, "Content-Type", "application/x-www-form-urlencoded")...)
		if w.Code != tt.code || w.Body.String() != tt.want {
			t.Errorf("%s: Cookie %q: got %d %q, want %d %q", tt.name, tt.cookie, w.Code, w.Body, tt.code, tt.want)
		}
	}
}

// RequiredFile asks for a file part: a field, a query parameter or a
// browser's empty file input (a part without a file name) of that name
// is not one, though Required takes each of them.
func TestRequiredFile(t *testing.T) {
	multipartOf := func(parts ...upload) func() (io.Reader, string) {
		return func() (io.Reader, string) { return uploadBody(t, parts...) }
	}
	urlencoded := func(form string) func() (io.Reader, string) {
		return func() (io.Reader, string) { return strings.NewReader(form), "application/x-www-form-urlencoded" }
	}
	file := []web.InputOption{web.RequiredFile("photo")}
	tests := []struct {
		name, target string
		body         func() (io.Reader, string)
		opts         []web.InputOption
		code         int
		want         string
	}{
		{"a file", "/", multipartOf(upload{"photo", "p.png", "x"}), file, 200, "p.png 1 x"},
		{"an empty file", "/", multipartOf(upload{"photo", "p.png", ""}), file, 200, "p.png 0 "},
		{"a multipart field", "/", multipartOf(upload{"photo", "", "x"}), file, 400, "missing file: photo"},
		{"an empty file input", "/", multipartOf(upload{"photo", "", ""}), file, 400, "missing file: photo"},
		{"an urlencoded field", "/", urlencoded("photo=x"), file, 400, "missing file: photo"},
		{"a query parameter", "/?photo=x", urlencoded(""), file, 400, "missing file: photo"},
		{"FromQuery", "/", multipartOf(upload{"photo", "p.png", "x"}), []web.InputOption{web.FromQuery(), web.RequiredFile("photo")}, 400, "missing file: photo"},
		{"Required takes a field", "/", multipartOf(upload{"photo", "", "x"}), []web.InputOption{web.Required("photo")}, 200, "nil"},
		{"several missing", "/", multipartOf(upload{"a", "a.txt", "x"}), []web.InputOption{web.RequiredFile("a", "b", "photo")}, 400, "missing file: b, photo"},
		{"values first", "/", urlencoded(""), []web.InputOption{web.Required("title"), web.RequiredFile("photo")}, 400, "missing input: title"},
	}
	for _, tt := range tests {
		app := newApp(t, web.URLs{"/", func(c *web.Context) (any, error) {
			in, err := c.Input(tt.opts...)
			if err != nil {
				return nil, err
			}
			return describe(in.File("photo")), nil
		}})
		body, ctype := tt.body()
		w := serve(app, "POST", tt.target, body, "Content-Type", ctype)
		if w.Code != tt.code || w.Body.String() != tt.want {
			t.Errorf("%s: got %d %q, want %d %q", tt.name, w.Code, w.Body, tt.code, tt.want)
		}
	}
}
