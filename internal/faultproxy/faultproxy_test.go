package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowebpy/web/internal/faultproxy"
)

// Bounds of the tests: generous, since the machine may be busy. They
// tell "happens" from "hangs", never fast from slow.
const (
	soon  = 5 * time.Second        // something that must happen does within this
	quiet = 300 * time.Millisecond // something that must not happen has had this long
)

// lineServer answers every line it reads with "echo: " and the line, and
// records every line it received, answered or not.
type lineServer struct {
	ln net.Listener

	mu    sync.Mutex
	lines []string
}

func newLineServer(t *testing.T) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &lineServer{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					s.mu.Lock()
					s.lines = append(s.lines, sc.Text())
					s.mu.Unlock()
					if _, err := io.WriteString(c, "echo: "+sc.Text()+"\n"); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s
}

func (s *lineServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// waitFor polls cond until it holds or soon has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(soon); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("%s did not happen within %v", what, soon)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newProxy(t *testing.T, target string) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// conn is a client connection through the proxy.
type conn struct {
	t *testing.T
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *faultproxy.Proxy) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr(), soon)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t: t, Conn: c, r: bufio.NewReader(c)}
}

func (c *conn) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		c.t.Fatalf("write %q: %v", line, err)
	}
}

// answer reads one line, waiting at most d.
func (c *conn) answer(d time.Duration) (string, error) {
	c.SetReadDeadline(time.Now().Add(d))
	line, err := c.r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

func (c *conn) mustAnswer(want string) {
	c.t.Helper()
	got, err := c.answer(soon)
	if err != nil || got != want {
		c.t.Fatalf("answer = %q, %v; want %q", got, err, want)
	}
}

func (c *conn) mustBeSilent() {
	c.t.Helper()
	got, err := c.answer(quiet)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("answer = %q, %v; want nothing while frozen", got, err)
	}
}

func TestForwardsBothWays(t *testing.T) {
	srv := newLineServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	a, b := dial(t, p), dial(t, p)
	a.send("one")
	b.send("two")
	a.mustAnswer("echo: one")
	b.mustAnswer("echo: two")
	if n := p.Accepted(); n != 2 {
		t.Errorf("Accepted = %d; want 2", n)
	}
	if n := p.Conns(); n != 2 {
		t.Errorf("Conns = %d; want 2", n)
	}
	a.Close()
	waitFor(t, "the closed connection leaving Conns", func() bool { return p.Conns() == 1 })
}

// TestFreezeHoldsThenResumeDelivers is the late delivery a client's
// timeout must expect: what is sent during a freeze, even on a connection
// the client closed since, reaches the server after Resume.
func TestFreezeHoldsThenResumeDelivers(t *testing.T) {
	srv := newLineServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	old := dial(t, p)
	old.send("before")
	old.mustAnswer("echo: before")

	p.Freeze()
	old.send("during")
	old.mustBeSilent()
	fresh := dial(t, p) // a new connection is accepted, and hangs too
	fresh.send("new")
	fresh.mustBeSilent()
	gaveUp := dial(t, p) // a client that times out and hangs up
	gaveUp.send("abandoned")
	gaveUp.mustBeSilent()
	gaveUp.Close()
	if got := srv.received(); len(got) != 1 {
		t.Fatalf("the server received %q during the freeze; want only the line before it", got)
	}

	p.Resume()
	old.mustAnswer("echo: during")
	fresh.mustAnswer("echo: new")
	waitFor(t, "the abandoned request reaching the server", func() bool {
		for _, l := range srv.received() {
			if l == "abandoned" {
				return true
			}
		}
		return false
	})
	old.send("after")
	old.mustAnswer("echo: after")
}

// TestResumeWaitsForTheHeldData: once Resume returns, the data held is on
// its way (written to the destination's socket), so a test can check the
// server's state right after.
func TestResumeWaitsForTheHeldData(t *testing.T) {
	srv := newLineServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p)
	c.send("warm up")
	c.mustAnswer("echo: warm up")
	p.Freeze()
	c.send("held")
	c.mustBeSilent()
	p.Resume()
	c.mustAnswer("echo: held")
}

func TestRefuseResetsOldAndNewConnections(t *testing.T) {
	srv := newLineServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	old := dial(t, p)
	old.send("before")
	old.mustAnswer("echo: before")

	p.Refuse()
	start := time.Now()
	if got, err := old.answer(soon); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an open connection after Refuse read %q, %v; want a reset or EOF", got, err)
	}
	// A new connection is accepted by the kernel, then reset.
	if err := firstRead(p); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a new connection after Refuse: %v; want it refused or reset", err)
	}
	t.Logf("both failed after %v", time.Since(start))
	waitFor(t, "Conns dropping to 0", func() bool { return p.Conns() == 0 })

	p.Resume()
	again := dial(t, p)
	again.send("back")
	again.mustAnswer("echo: back")
}

// TestRefuseDuringFreezeDropsTheHeldData: the data a freeze held never
// reaches the server once the proxy refuses instead.
func TestRefuseDuringFreezeDropsTheHeldData(t *testing.T) {
	srv := newLineServer(t)
	p := newProxy(t, srv.ln.Addr().String())
	c := dial(t, p)
	c.send("before")
	c.mustAnswer("echo: before")
	p.Freeze()
	c.send("dropped")
	c.mustBeSilent()
	p.Refuse()
	p.Resume()
	fresh := dial(t, p)
	fresh.send("after")
	fresh.mustAnswer("echo: after")
	for _, l := range srv.received() {
		if l == "dropped" {
			t.Fatal("data held by a freeze reached the server after Refuse")
		}
	}
}

func TestCloseEndsEverything(t *testing.T) {
	srv := newLineServer(t)
	p, err := faultproxy.New(srv.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	c.send("x")
	c.mustAnswer("echo: x")
	p.Freeze()
	c.send("held")
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(soon):
		t.Fatal("Close hung on a frozen connection")
	}
	if _, err := c.answer(soon); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after Close: %v; want a reset or EOF", err)
	}
	if n := p.Conns(); n != 0 {
		t.Errorf("Conns after Close = %d", n)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	p.Resume() // does nothing, and does not hang
}

// TestTargetDown: a client of a proxy whose target is down sees its
// connection reset, as with the server itself down.
func TestTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	p := newProxy(t, addr)
	if err := firstRead(p); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection through a proxy to a closed port: %v; want it refused or reset", err)
	}
}

// firstRead connects to p and reads one byte, and returns the error of
// the dial or of the read: the reset may come before the connection is
// even established.
func firstRead(p *faultproxy.Proxy) error {
	c, err := net.DialTimeout("tcp", p.Addr(), soon)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(soon))
	_, err = c.Read(make([]byte, 1))
	return err
}
