package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultAddr is where Run listens when neither an argument nor PORT says
// otherwise, as web.py does.
const DefaultAddr = "0.0.0.0:8080"

// ParseAddr turns the command-line argument of Run into a network and an
// address, accepting what web.py's validaddr accepts, and the names of
// this machine:
//
//	""               tcp 0.0.0.0:8080
//	"8000"           tcp 0.0.0.0:8000
//	"127.0.0.1"      tcp 127.0.0.1:8080
//	"127.0.0.1:8000" tcp 127.0.0.1:8000
//	"[::1]:8000"     tcp [::1]:8000
//	"::"             tcp [::]:8080
//	"[::1]"          tcp [::1]:8080
//	"localhost:8000" tcp localhost:8000 (web.py refuses host names)
//	"myhost:8000"    tcp myhost:8000, if /etc/hosts lists myhost
//	"/tmp/app.sock"  unix /tmp/app.sock (any argument with a slash but
//	                 a URL's "://"); a socket a killed process left is
//	                 replaced, one that is in use is not
//
// Any other name is refused, with a message saying what to write: a name
// is never looked up in DNS, so that a mistyped argument ("bogus",
// "808O") fails at once instead of waiting on a resolver and listening
// wherever it answers.
func ParseAddr(arg string) (network, addr string, err error) {
	return parseAddr(arg, hostsFile)
}

// hostsFile lists the names ParseAddr accepts besides localhost: the
// machine's own, which need no DNS.
const hostsFile = "/etc/hosts"

func parseAddr(arg, hosts string) (network, addr string, err error) {
	switch {
	case strings.Contains(arg, "://"):
		return "", "", fmt.Errorf("web: address %q: write it without the scheme, as 127.0.0.1:8080 (a slash means a unix socket path)", arg)
	case strings.HasPrefix(arg, "-"):
		return "", "", fmt.Errorf("web: address %q: Run takes its address from the first argument, as web.py does; an application with flags calls Serve, with an address from web.ParseAddr(flag.Arg(0))", arg)
	case strings.Contains(arg, "/"):
		return "unix", arg, nil
	}
	host, port, err := splitAddr(arg)
	if err == nil {
		err = checkHost(host, hosts)
	}
	if err != nil {
		return "", "", fmt.Errorf("web: address %q: %w", arg, err)
	}
	return "tcp", net.JoinHostPort(host, port), nil
}

// splitAddr splits a TCP address argument into its host and port, giving
// each its default; the host is checked by the caller.
func splitAddr(arg string) (host, port string, err error) {
	const defaultPort = "8080"
	switch {
	case arg == "":
		return "0.0.0.0", defaultPort, nil
	case strings.HasPrefix(arg, "[") && strings.HasSuffix(arg, "]"):
		// "[::1]" without a port, the bracketed twin of "::1".
		if ip := net.ParseIP(arg[1 : len(arg)-1]); ip == nil || ip.To4() != nil {
			return "", "", errors.New("not an IPv6 address")
		}
		return arg[1 : len(arg)-1], defaultPort, nil
	case isDigits(arg):
		return "0.0.0.0", arg, checkPort(arg)
	case strings.Count(arg, ":") > 1 && !strings.HasPrefix(arg, "["):
		// A bare IPv6 address such as "::" or "::1".
		if net.ParseIP(arg) == nil {
			return "", "", errors.New("not an IPv6 address; write [v6]:PORT")
		}
		return arg, defaultPort, nil
	case strings.Contains(arg, ":"):
		host, port, err := net.SplitHostPort(arg)
		if err != nil {
			return "", "", err
		}
		return host, port, checkPort(port)
	}
	return arg, defaultPort, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func checkPort(p string) error {
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 || !isDigits(p) {
		return fmt.Errorf("port %q must be a number from 0 to 65535", p)
	}
	return nil
}

// checkHost accepts an IP address, localhost, and the names the hosts
// file lists; "" is every interface.
func checkHost(h, hosts string) error {
	if h == "" || net.ParseIP(h) != nil || strings.EqualFold(h, "localhost") || inHostsFile(h, hosts) {
		return nil
	}
	return fmt.Errorf("%q is not an IP address, localhost or a name in %s (names are not looked up in DNS); "+
		"give a port (8080), an address and port (127.0.0.1:8080) or a socket path (./app.sock)", h, hosts)
}

// inHostsFile reports whether the hosts file at path gives name an
// address. A file that cannot be read lists nothing.
func inHostsFile(name, path string) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "#")
		fields := strings.Fields(line)
		if len(fields) < 2 || net.ParseIP(fields[0]) == nil {
			continue
		}
		for _, f := range fields[1:] {
			if strings.EqualFold(f, name) {
				return true
			}
		}
	}
	return false
}

// Run serves the application like web.py's app.run(): on the address given
// as the first command-line argument (see ParseAddr), else on 0.0.0.0:PORT
// when the PORT environment variable is set, else on 0.0.0.0:8080. It
// prints a URL to open (http://127.0.0.1:PORT/ when it listens on every
// interface, and a line saying so), logs one line per request, and on
// SIGINT or SIGTERM stops accepting connections and lets requests in
// flight finish (for up to 30 seconds) before it returns.
//
// Unlike web.py, an explicit argument wins over PORT, so that
// `go run ./examples/count 8080` does what it says in any shell.
func (a *Application) Run() error {
	var args []string
	if len(os.Args) > 1 {
		args = os.Args[1:]
	}
	network, addr, err := runAddr(args, os.Getenv("PORT"))
	if err != nil {
		return err
	}
	ln, err := listen(network, addr)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if network == "unix" {
		fmt.Printf("serving on unix socket %s\n", addr)
		defer os.Remove(addr)
	} else {
		fmt.Print(banner(addr, ln.Addr())) // one write, whole lines for a script to read
	}
	return a.Serve(ctx, ln)
}

// listen listens on addr. A unix socket left by a process that was
// killed (kill -9 removes nothing) is removed first, when nobody answers
// on it: a socket someone listens on, or a file that is no socket, is
// left alone and reported in use.
func listen(network, addr string) (net.Listener, error) {
	ln, err := net.Listen(network, addr)
	if err == nil || network != "unix" || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	if fi, serr := os.Lstat(addr); serr != nil || fi.Mode()&os.ModeSocket == 0 {
		return nil, err
	}
	if c, derr := net.Dial("unix", addr); derr == nil {
		c.Close()
		return nil, err // in use: another process serves it
	} else if !errors.Is(derr, syscall.ECONNREFUSED) {
		return nil, err
	}
	if rerr := os.Remove(addr); rerr != nil {
		return nil, err
	}
	return net.Listen(network, addr)
}

// banner is what Run prints: a URL a person can open, with the host that
// was asked for and the port the listener got (which differs for port 0).
// web.py prints http://0.0.0.0:8080/ for every interface, which no
// browser opens; the loopback address is printed instead, and a second
// line says that every interface listens.
func banner(asked string, got net.Addr) string {
	host, _, err := net.SplitHostPort(asked)
	_, port, err2 := net.SplitHostPort(got.String())
	if err != nil || err2 != nil {
		return "http://" + got.String() + "/\n"
	}
	ip := net.ParseIP(host)
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return "http://" + net.JoinHostPort(host, port) + "/\n"
	}
	all, loopback := "0.0.0.0", "127.0.0.1"
	if ip != nil && ip.To4() == nil {
		all, loopback = "::", "::1"
	}
	return fmt.Sprintf("http://%s/\nlistening on all interfaces (%s)\n", net.JoinHostPort(loopback, port), net.JoinHostPort(all, port))
}

// runAddr picks Run's address from its command-line arguments and the
// PORT environment variable.
func runAddr(args []string, port string) (network, addr string, err error) {
	arg := ""
	if len(args) > 0 {
		arg = args[0]
	}
	if arg == "" && port != "" {
		if err := checkPort(port); err != nil {
			return "", "", fmt.Errorf("web: PORT environment variable: %w", err)
		}
		arg = "0.0.0.0:" + port
	}
	return ParseAddr(arg)
}

// ShutdownTimeout is how long Serve waits for requests in flight once its
// context is done.
const ShutdownTimeout = 30 * time.Second

// Serve serves the application on ln until ctx is done, then shuts down
// gracefully: no new connections, requests in flight finish (for up to
// ShutdownTimeout). It logs one line per request. The server's timeouts
// keep a stalled or slow client from holding a connection forever.
func (a *Application) Serve(ctx context.Context, ln net.Listener) error {
	srv := a.newServer()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		// Requests still running after ShutdownTimeout lose their
		// connections rather than keep the process alive.
		srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// newServer is the http.Server of Serve. Its timeouts bound how long a
// client may take to send its headers and body and to read the response,
// so that a stalled or slow client cannot hold a connection forever.
func (a *Application) newServer() *http.Server {
	return &http.Server{
		Handler:           a.logRequests(a),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// The server's own complaints (TLS handshakes, bad requests it
		// answers itself) go where the application logs, not to stderr.
		ErrorLog: slog.NewLogLogger(a.logger().Handler(), slog.LevelWarn),
	}
}

// logRequests logs one line per request, as web.py's LogMiddleware does.
func (a *Application) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		a.logger().Info(r.Method+" "+r.URL.RequestURI(),
			"status", sw.status, "bytes", sw.bytes, "ip", a.clientIP(r), "duration", time.Since(start).Round(time.Microsecond))
	})
}

// statusWriter records what the log line reports.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

// WriteHeader keeps the first status for the log line; later calls are
// mistakes net/http reports itself.
func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write counts the bytes for the log line.
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes a handler's flush on to the connection, for responses
// that stream.
func (w *statusWriter) Flush() {
	w.wrote = true
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
