// Package faultproxy is a TCP proxy for tests that misbehaves on demand,
// the way a failing server or network does, so that a test can check what
// a client does while its server hangs or refuses, and after it is back.
//
//	p, err := faultproxy.New("127.0.0.1:5432") // listens on 127.0.0.1:0
//	defer p.Close()
//	db, err := sql.Open("pgx", "postgres://postgres@"+p.Addr()+"/test")
//	p.Freeze() // connections stay open, nothing gets through
//	p.Resume() // what was held is delivered, and traffic flows again
//	p.Refuse() // every connection, open or new, is reset
//
// A Freeze is a server that stopped (SIGSTOP, a long GC or fsync pause) or a
// network that drops packets without telling anyone: connections are
// accepted and kept, writes succeed until the buffers fill, and no byte is
// passed on in either direction. Resume then delivers what was held, in
// order, even the requests of a client that has given up and closed its
// connection meanwhile, as TCP does when a stopped server wakes up: that
// late delivery is what a client's timeout must be ready for. Refuse is a
// server that is down or a firewall that rejects: connections are reset at
// once, so clients fail fast.
package faultproxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// state is what the proxy does with traffic.
type state uint8

const (
	forwarding state = iota
	frozen
	refusing
	closed
)

// Timeouts of the proxy's own work. They only keep a test from hanging
// when a destination goes away; they are not part of the faults.
const (
	dialTimeout = 5 * time.Second
	// heldWrite bounds the write of the data a freeze held, so that Resume
	// returns even if a destination stopped reading.
	heldWrite = 5 * time.Second
)

// Proxy forwards the connections made to Addr to its target, and can be
// switched at any time between forwarding, Freeze and Refuse. Its methods
// are safe for concurrent use.
type Proxy struct {
	target string
	ln     net.Listener
	wg     sync.WaitGroup // the accept loop and every link's goroutines

	mu       sync.Mutex
	held     *sync.Cond // signalled when holding drops
	state    state
	thaw     chan struct{} // closed when a freeze ends (Resume, Refuse, Close)
	links    map[*link]struct{}
	accepted int
	holding  int // pumps waiting with data a freeze stopped
}

// link is one client connection and the connection to the target that
// serves it. Its fields are guarded by the Proxy's mu.
type link struct {
	client, server net.Conn // server is nil until dialled
	dead           bool
}

// New starts a proxy listening on a free port of 127.0.0.1 that forwards
// to target, a host:port. It checks nothing about the target: a target
// that is down gives clients a reset connection.
func New(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{target: target, ln: ln, links: make(map[*link]struct{}), thaw: make(chan struct{})}
	p.held = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients connect to, in place of the target's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Freeze stops all traffic: connections, old and new, stay open, and
// nothing is passed on either way until Resume or Refuse.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == forwarding || p.state == refusing {
		p.state = frozen
	}
}

// Resume forwards traffic again. After a Freeze, it returns once the data
// the proxy held has been written on to its destinations (those whose
// connection is still open, on the side the data goes to: a request sent
// by a client that has since hung up still reaches the server).
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == closed {
		return
	}
	p.endFreeze(forwarding)
	for p.holding > 0 {
		p.held.Wait()
	}
}

// Refuse resets every open connection and every new one, until Resume.
// Data held by a Freeze is dropped.
func (p *Proxy) Refuse() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == closed {
		return
	}
	p.endFreeze(refusing)
	for l := range p.links {
		p.kill(l)
	}
}

// Close resets every connection, stops listening and waits until the
// proxy's goroutines are done.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.state == closed {
		p.mu.Unlock()
		return nil
	}
	p.endFreeze(closed)
	for l := range p.links {
		p.kill(l)
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

// Conns returns how many client connections are open through the proxy
// now, including those a client closed while the proxy still holds data
// they sent. A test reads it to see whether a client piles up
// connections.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Accepted returns how many client connections the proxy has accepted,
// refused ones not counted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// endFreeze sets the next state and wakes the pumps a freeze holds, which
// then forward or drop their data by that state. p.mu is held.
func (p *Proxy) endFreeze(next state) {
	if p.state == frozen {
		close(p.thaw)
		p.thaw = make(chan struct{})
	}
	p.state = next
}

// kill resets both connections of l: the client sees a reset, as from a
// server that went away. p.mu is held.
func (p *Proxy) kill(l *link) {
	if l.dead {
		return
	}
	l.dead = true
	reset(l.client)
	if l.server != nil {
		reset(l.server)
	}
}

// reset closes c with a TCP reset rather than an orderly shutdown.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // Close closed the listener
		}
		p.mu.Lock()
		if p.state == refusing || p.state == closed {
			p.mu.Unlock()
			reset(c)
			continue
		}
		p.accepted++
		l := &link{client: c}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(l)
	}
}

// serve dials the target for l and forwards both ways until both
// directions are done or the link is killed.
func (p *Proxy) serve(l *link) {
	defer p.wg.Done()
	defer p.drop(l)
	s, err := net.DialTimeout("tcp", p.target, dialTimeout)
	p.mu.Lock()
	if err == nil && l.dead { // refused or closed while dialling
		reset(s)
	}
	if err != nil || l.dead {
		p.kill(l)
		p.mu.Unlock()
		return
	}
	l.server = s
	p.mu.Unlock()

	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); p.pump(l, l.client, s) }()
	go func() { defer both.Done(); p.pump(l, s, l.client) }()
	both.Wait()
}

// drop forgets l once its goroutines are done, closing what is left.
func (p *Proxy) drop(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !l.dead {
		l.dead = true
		l.client.Close()
		if l.server != nil {
			l.server.Close()
		}
	}
	delete(p.links, l)
}

// pump copies src to dst, one read at a time, each passed on only when
// the proxy forwards. The end of src is passed on as a half close, so the
// other direction goes on (a server answers the last requests of a client
// that has stopped sending); an error kills the link.
func (p *Proxy) pump(l *link, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(l, dst, buf[:n]) {
				p.killLocked(l)
				return
			}
		}
		if errors.Is(err, io.EOF) {
			if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
				return
			}
			p.killLocked(l)
			return
		}
		if err != nil {
			p.killLocked(l)
			return
		}
	}
}

func (p *Proxy) killLocked(l *link) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.kill(l)
}

// pass writes data to dst when the proxy forwards, first waiting out a
// freeze. It reports false when the data is to be dropped (Refuse, Close,
// a dead link) or cannot be written.
func (p *Proxy) pass(l *link, dst net.Conn, data []byte) bool {
	p.mu.Lock()
	wasHeld := false
	for p.state == frozen && !l.dead {
		if !wasHeld {
			wasHeld = true
			p.holding++
		}
		thaw := p.thaw
		p.mu.Unlock()
		<-thaw
		p.mu.Lock()
	}
	ok := p.state == forwarding && !l.dead
	p.mu.Unlock()
	if ok && wasHeld {
		_ = dst.SetWriteDeadline(time.Now().Add(heldWrite))
	}
	if ok {
		_, err := dst.Write(data)
		ok = err == nil
	}
	if wasHeld {
		_ = dst.SetWriteDeadline(time.Time{})
		p.mu.Lock()
		p.holding--
		p.held.Broadcast()
		p.mu.Unlock()
	}
	return ok
}
