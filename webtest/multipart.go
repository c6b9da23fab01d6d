package webtest

import (
	"bytes"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
)

// File is one file of a multipart upload: the form field it is sent
// under, the file name the client gives, and the content.
type File struct {
	Field, Name, Content string
}

// PostMultipart posts fields and files to path as multipart/form-data,
// as a form with enctype="multipart/form-data" and a file input does
// (curl -F title=x -F photo=@p.png): the fields in the order of their
// keys, then the files in the order given.
func (c *Client) PostMultipart(path string, fields url.Values, files ...File) *Response {
	if h, ok := c.t.(helperT); ok {
		h.Helper()
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		for _, v := range fields[k] {
			mw.WriteField(k, v) // a bytes.Buffer takes every write
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile(f.Field, f.Name)
		io.WriteString(w, f.Content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, path, &body)
	if err != nil {
		c.t.Fatalf("webtest: POST %s: %v", path, err)
		return nil
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}
