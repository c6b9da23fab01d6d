package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// parseForm parses the request body as a form, once.
func (c *Context) parseForm() (url.Values, error) {
	if c.form != nil || c.formErr != nil {
		return c.form, c.formErr
	}
	c.form = url.Values{}
	switch c.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return c.form, nil
	}
	ct, _, _ := mime.ParseMediaType(c.Request.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		body, err := c.Body()
		if err != nil {
			c.formErr = err
			return c.form, err
		}
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			c.formErr = BadRequest("malformed form body: " + err.Error())
			return c.form, c.formErr
		}
		c.form = vs
	case "multipart/form-data":
		if c.bodyRead {
			// Body has consumed the stream; parse what it kept.
			if c.bodyErr != nil {
				c.formErr = c.bodyErr
				return c.form, c.formErr
			}
			c.Request.Body = io.NopCloser(bytes.NewReader(c.body))
		}
		err := c.Request.ParseMultipartForm(multipartMemory)
		c.upload = c.Request.MultipartForm
		if err != nil {
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				c.formErr = HTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
			case errors.Is(err, multipart.ErrMessageTooLarge):
				// Too many parts or headers, or too much of it in memory,
				// within MaxBodyBytes: still too large, not malformed.
				c.formErr = HTTPError(http.StatusRequestEntityTooLarge, "multipart body too large: "+err.Error())
			default:
				c.formErr = BadRequest("malformed multipart body: " + err.Error())
			}
			return c.form, c.formErr
		}
		c.form = c.Request.MultipartForm.Value
	}
	return c.form, nil
}

// multipartMemory is how much of a multipart body is kept in memory;
// larger file parts go to temporary files.
const multipartMemory = 8 << 20

// InputOption shapes what Input returns: defaults, required keys, and
// which part of the request is read.
type InputOption func(*inputSpec)

type inputSpec struct {
	required []string
	files    []string // keys that must name a file part
	defaults map[string][]string
	query    bool
	body     bool
}

// Required names keys that must be present; when one is missing, Input
// returns an error that answers 400 and names the missing keys. A value
// or a file satisfies it alike: RequiredFile asks for a file.
func Required(keys ...string) InputOption {
	return func(s *inputSpec) { s.required = append(s.required, keys...) }
}

// RequiredFile names keys under which a multipart body must carry a
// file; when one has none, Input returns an error that answers 400 and
// names the missing keys. Required is not enough for an upload: a plain
// field, a query parameter or a browser's empty file input (sent as a
// field with no file name) has the key too, and then File returns nil.
//
//	in, err := c.Input(web.RequiredFile("photo"))
//	if err != nil {
//		return nil, err // 400 "missing file: photo"
//	}
//	f := in.File("photo") // never nil here
//
// A file is only ever in the body: with FromQuery, no key has one.
// Cookies ignores RequiredFile.
func RequiredFile(keys ...string) InputOption {
	return func(s *inputSpec) { s.files = append(s.files, keys...) }
}

// Default gives key a value when the request does not carry it. Several
// values make a list default, like web.input(tag=[]).
func Default(key string, values ...string) InputOption {
	return func(s *inputSpec) {
		if s.defaults == nil {
			s.defaults = make(map[string][]string)
		}
		s.defaults[key] = values
	}
}

// FromQuery restricts Input to the query string (web.input(_method="get")).
func FromQuery() InputOption { return func(s *inputSpec) { s.body = false } }

// FromBody restricts Input to the request body (web.input(_method="post")).
func FromBody() InputOption { return func(s *inputSpec) { s.query = false } }

// Input merges the query string and, for POST, PUT and PATCH, the form
// body (urlencoded or multipart), like web.input(). A key present in both
// takes the body's value: the form the user submitted wins over the URL it
// was posted to. The files of a multipart body are read with File and
// Files. Missing required keys or files give an error that answers 400; a
// body over MaxBodyBytes gives one that answers 413.
//
//	in, err := c.Input(web.Required("name"), web.Default("page", "1"))
//	if err != nil {
//		return nil, err
//	}
//	name, page, tags := in.Get("name"), in.Get("page"), in.List("tag")
func (c *Context) Input(opts ...InputOption) (*Storage, error) {
	spec := inputSpec{query: true, body: true}
	for _, o := range opts {
		o(&spec)
	}
	st := &Storage{defaults: spec.defaults}
	if spec.body {
		form, err := c.parseForm()
		if err != nil {
			return st, err
		}
		st.sources = append(st.sources, form)
		if c.upload != nil {
			st.files = c.upload.File
		}
	}
	if spec.query {
		st.sources = append(st.sources, c.Request.URL.Query())
	}
	if missing := st.missing(spec.required); len(missing) > 0 {
		return st, BadRequest("missing input: " + strings.Join(missing, ", "))
	}
	var noFile []string
	for _, k := range spec.files {
		if len(st.files[k]) == 0 {
			noFile = append(noFile, k)
		}
	}
	if len(noFile) > 0 {
		return st, BadRequest("missing file: " + strings.Join(noFile, ", "))
	}
	return st, nil
}

// Cookies returns the request's cookies by name, like web.cookies():
// Required names cookies that must be sent, and a missing one gives an
// error that answers 400 naming it; Default gives a value to a cookie the
// request does not carry. (FromQuery, FromBody and RequiredFile mean
// nothing here.)
//
//	ck, err := c.Cookies(web.Required("token"), web.Default("theme", "light"))
//	if err != nil {
//		return nil, err // 400 "missing cookie: token"
//	}
//
// A name sent twice keeps both values (List) and Get gives the last, as
// web.py keeps the last. Values are what the client sent, as Cookie
// returns them: web.py URL-unquotes them, which corrupts a value that
// holds a %; decode a value you encoded when you set it. Every value is
// the client's to choose; SignedCookie reads one it cannot change.
func (c *Context) Cookies(opts ...InputOption) (*Storage, error) {
	spec := inputSpec{}
	for _, o := range opts {
		o(&spec)
	}
	sent := url.Values{}
	for _, ck := range c.Request.Cookies() {
		sent.Add(ck.Name, ck.Value)
	}
	st := &Storage{sources: []url.Values{sent}, defaults: spec.defaults}
	if missing := st.missing(spec.required); len(missing) > 0 {
		return st, BadRequest("missing cookie: " + strings.Join(missing, ", "))
	}
	return st, nil
}

// Storage is the result of Input and Cookies: request values by key, like
// web.py's Storage. For Input the body's values come ahead of the query's,
// and the body's files are kept apart (File, Files).
type Storage struct {
	sources  []url.Values // in order of precedence
	defaults map[string][]string
	files    map[string][]*multipart.FileHeader
}

// missing returns the keys of required that s does not have.
func (s *Storage) missing(required []string) []string {
	var missing []string
	for _, k := range required {
		if !s.Has(k) {
			missing = append(missing, k)
		}
	}
	return missing
}

// Get returns the last value of key (web.py keeps the last of repeated
// keys), from the body if it has the key, else from the query, else the
// default, else "". A file's key has no value: use File.
func (s *Storage) Get(key string) string {
	for _, src := range s.sources {
		if vs := src[key]; len(vs) > 0 {
			return vs[len(vs)-1]
		}
	}
	if vs := s.defaults[key]; len(vs) > 0 {
		return vs[len(vs)-1]
	}
	return ""
}

// List returns every value of key: the body's, then the query's; or the
// default when the request has none.
func (s *Storage) List(key string) []string {
	var all []string // a copy: the caller may change it
	for _, src := range s.sources {
		all = append(all, src[key]...)
	}
	if all == nil {
		return s.defaults[key]
	}
	return all
}

// Has reports whether the request or a default supplies key; an uploaded
// file counts, so Required can ask for one.
func (s *Storage) Has(key string) bool {
	for _, src := range s.sources {
		if _, ok := src[key]; ok {
			return true
		}
	}
	_, inDefaults := s.defaults[key]
	_, inFiles := s.files[key]
	return inDefaults || inFiles
}

// Keys returns every key present, sorted, files included.
func (s *Storage) Keys() []string {
	var keys []string
	add := func(k string) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, src := range s.sources {
		for k := range src {
			add(k)
		}
	}
	for k := range s.defaults {
		add(k)
	}
	for k := range s.files {
		add(k)
	}
	slices.Sort(keys)
	return keys
}

// File returns the file uploaded under key in a multipart body (web.py's
// web.input(myfile={})), or nil when there is none; of several under one
// key, the last, as Get gives the last value.
//
//	f := in.File("photo")
//	if f == nil {
//		return nil, web.BadRequest("no photo")
//	}
//	r, err := f.Open() // f.Filename, f.Size, f.Header
//
// The upload counts against MaxBodyBytes (a larger body answers 413), and
// the temporary files of large parts are removed once the response is
// written: copy what must outlive the request. Everything in the header is
// the client's: f.Filename is a name to show or store as data, never a
// path to write to (mime/multipart keeps only its last element, but it
// may still be "..", "/", a Windows path or markup); and the Content-Type
// in f.Header is a claim, not a check of the content.
func (s *Storage) File(key string) *multipart.FileHeader {
	fs := s.files[key]
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

// Files returns every file uploaded under key, in the order of the body
// (<input type="file" multiple>), or nil. What File says of the files
// holds for each.
func (s *Storage) Files(key string) []*multipart.FileHeader { return slices.Clone(s.files[key]) }
