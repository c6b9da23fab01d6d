package web

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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

// TestParseAddrHostsFile checks the names a hosts file lists, which need
// no DNS, against one written for the test.
func TestParseAddrHostsFile(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	err := os.WriteFile(hosts, []byte(`# a comment line
127.0.0.1	localhost
127.0.1.1	devbox devbox.lan # the machine
::1	ip6-localhost ip6-loopback
not-an-ip	ghost
10.0.0.5
#127.0.0.2	commented
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arg, addr string
		ok        bool
	}{
		{"devbox:8000", "devbox:8000", true},
		{"DevBox.LAN", "DevBox.LAN:8080", true},
		{"ip6-localhost:80", "ip6-localhost:80", true},
		{"localhost:80", "localhost:80", true},
		{"ghost:80", "", false},     // a line without an address
		{"commented:80", "", false}, // behind a #
		{"devbox2:80", "", false},
		{"devbox.lan.example:80", "", false},
	}
	for _, tt := range tests {
		_, addr, err := parseAddr(tt.arg, hosts)
		if addr != tt.addr || (err == nil) != tt.ok {
			t.Errorf("parseAddr(%q) = %q, %v; want %q, ok %v", tt.arg, addr, err, tt.addr, tt.ok)
		}
	}
	// Without a readable hosts file, localhost and addresses still work.
	missing := filepath.Join(t.TempDir(), "none")
	if _, addr, err := parseAddr("localhost:1", missing); err != nil || addr != "localhost:1" {
		t.Errorf("localhost without a hosts file: %q, %v", addr, err)
	}
	if _, _, err := parseAddr("devbox:1", missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("devbox without a hosts file: %v, want an error naming the file", err)
	}
}

func TestBanner(t *testing.T) {
	tests := []struct {
		asked, got, want string
	}{
		{"127.0.0.1:0", "127.0.0.1:41234", "http://127.0.0.1:41234/\n"},
		{"localhost:8080", "127.0.0.1:8080", "http://localhost:8080/\n"},
		{"[::1]:8080", "[::1]:8080", "http://[::1]:8080/\n"},
		// web.py prints http://0.0.0.0:8080/, which no browser opens.
		{"0.0.0.0:8080", "[::]:8080", "http://127.0.0.1:8080/\nlistening on all interfaces (0.0.0.0:8080)\n"},
		{":8080", "[::]:8080", "http://127.0.0.1:8080/\nlistening on all interfaces (0.0.0.0:8080)\n"},
		{"[::]:8080", "[::]:8080", "http://[::1]:8080/\nlistening on all interfaces ([::]:8080)\n"},
	}
	for _, tt := range tests {
		got, err := net.ResolveTCPAddr("tcp", tt.got)
		if err != nil {
			t.Fatal(err)
		}
		if b := banner(tt.asked, got); b != tt.want {
			t.Errorf("banner(%q, %s) = %q, want %q", tt.asked, tt.got, b, tt.want)
		}
	}
}

// A URL or a flag given as the address is refused with a message saying
// what to write, not taken as a socket path or a host.
func TestParseAddrHints(t *testing.T) {
	for arg, want := range map[string]string{
		"http://127.0.0.1:8080": "without the scheme",
		"-debug":                "ParseAddr(flag.Arg(0))",
	} {
		if _, _, err := parseAddr(arg, hostsFile); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseAddr(%q) = %v; want an error saying %q", arg, err, want)
		}
	}
}

// A socket file a killed process left behind is replaced; one that is
// served is not.
func TestListenReplacesAStaleSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listen("unix", path); err == nil {
		t.Fatal("listen on a socket another listener serves succeeded")
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false) // as kill -9 leaves it
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the stale socket is not there: %v", err)
	}
	ln, err = listen("unix", path)
	if err != nil {
		t.Fatalf("listen on a stale socket: %v", err)
	}
	ln.Close()
	if err := os.WriteFile(path, []byte("not a socket"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listen("unix", path); err == nil {
		t.Error("listen replaced a file that is no socket")
	}
}
