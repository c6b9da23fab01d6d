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
// address, accepting what web.py's validaddr accepts and host names too:
//
//	""               tcp 0.0.0.0:8080
//	"8000"           tcp 0.0.0.0:8000
//	"127.0.0.1"      tcp 127.0.0.1:8080
//	"127.0.0.1:8000" tcp 127.0.0.1:8000
//	"[::1]:8000"     tcp [::1]:8000
//	"::"             tcp [::]:8080
//	"[::1]"          tcp [::1]:8080
//	"localhost:8000" tcp localhost:8000 (web.py refuses host names)
//	"/tmp/app.sock"  unix /tmp/app.sock (any argument with a slash)
func ParseAddr(arg string) (network, addr string, err error) {
	switch {
	case arg == "":
		return "tcp", DefaultAddr, nil
	case strings.Contains(arg, "/"):
		return "unix", arg, nil
	case strings.HasPrefix(arg, "[") && strings.HasSuffix(arg, "]"):
		// "[::1]" without a port, the bracketed twin of "::1".
		if ip := net.ParseIP(arg[1 : len(arg)-1]); ip == nil || ip.To4() != nil {
			return "", "", fmt.Errorf("web: address %q: not an IPv6 address", arg)
		}
		return "tcp", net.JoinHostPort(arg[1:len(arg)-1], "8080"), nil
	case isDigits(arg):
		if err := checkPort(arg); err != nil {
			return "", "", fmt.Errorf("web: address %q: %w", arg, err)
		}
		return "tcp", "0.0.0.0:" + arg, nil
	case strings.Count(arg, ":") > 1 && !strings.HasPrefix(arg, "["):
		// A bare IPv6 address such as "::" or "::1".
		if net.ParseIP(arg) == nil {
			return "", "", fmt.Errorf("web: address %q: not an IPv6 address; write [v6]:PORT", arg)
		}
		return "tcp", net.JoinHostPort(arg, "8080"), nil
	case strings.Contains(arg, ":"):
		host, port, err := net.SplitHostPort(arg)
		if err != nil {
			return "", "", fmt.Errorf("web: address %q: %w", arg, err)
		}
		if err := checkPort(port); err != nil {
			return "", "", fmt.Errorf("web: address %q: %w", arg, err)
		}
		if err := checkHost(host); err != nil {
			return "", "", fmt.Errorf("web: address %q: %w", arg, err)
		}
		return "tcp", net.JoinHostPort(host, port), nil
	default:
		if err := checkHost(arg); err != nil {
			return "", "", fmt.Errorf("web: address %q: %w", arg, err)
		}
		return "tcp", net.JoinHostPort(arg, "8080"), nil
	}
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

// checkHost accepts an IP address or a plausible host name.
func checkHost(h string) error {
	if h == "" || net.ParseIP(h) != nil {
		return nil
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is neither an IP address nor a host name", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return fmt.Errorf("%q is neither an IP address nor a host name", h)
			}
		}
	}
	return nil
}

// Run serves the application like web.py's app.run(): on the address given
// as the first command-line argument (see ParseAddr), else on 0.0.0.0:PORT
// when the PORT environment variable is set, else on 0.0.0.0:8080. It
// prints the URL it serves, logs one line per request, and on SIGINT or
// SIGTERM stops accepting connections and lets requests in flight finish
// (for up to 30 seconds) before it returns.
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
	ln, err := net.Listen(network, addr)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if network == "unix" {
		fmt.Printf("serving on unix socket %s\n", addr)
		defer os.Remove(addr)
	} else {
		fmt.Printf("http://%s/\n", servedAddr(addr, ln.Addr()))
	}
	return a.Serve(ctx, ln)
}

// servedAddr is the address Run prints: the host that was asked for, as
// web.py prints it (Go reports a dual-stack [::] for 0.0.0.0), with the
// port the listener got (which differs for port 0).
func servedAddr(asked string, got net.Addr) string {
	host, _, err := net.SplitHostPort(asked)
	_, port, err2 := net.SplitHostPort(got.String())
	if err != nil || err2 != nil {
		return got.String()
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, port)
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
