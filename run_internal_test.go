package web

import "testing"

// TestServerTimeouts checks that Serve's server bounds every phase of a
// connection: without these, a client that stops sending holds its
// connection and goroutine for good. (Waiting out a real timeout would
// make the test depend on the machine's speed.)
func TestServerTimeouts(t *testing.T) {
	app, err := New(URLs{})
	if err != nil {
		t.Fatal(err)
	}
	srv := app.newServer()
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 {
		t.Errorf("unbounded server: header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout || srv.ReadTimeout > srv.WriteTimeout {
		t.Errorf("timeouts out of order: header %v, read %v, write %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout)
	}
	if srv.MaxHeaderBytes <= 0 || srv.ErrorLog == nil || srv.Handler == nil {
		t.Errorf("server: MaxHeaderBytes %d, ErrorLog %v, Handler %v", srv.MaxHeaderBytes, srv.ErrorLog, srv.Handler)
	}
}
