package proctest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP to a server on a free port of its own, so that a
// test can break the connections to a shared server (a database outage, a
// failover) for itself alone, leaving the server running.
type Proxy struct {
	// Addr is where the proxy listens (host:port).
	Addr  string
	down  atomic.Bool
	mu    sync.Mutex
	conns []net.Conn
}

// NewProxy starts a proxy to target (host:port); it stops when the test
// ends.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String()}
	tb.Cleanup(func() { ln.Close(); p.Cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(s, c); s.Close() }()
			go func() { _, _ = io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

// Drop closes every connection the proxy carries, as a failover does;
// new ones still get through.
func (p *Proxy) Drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Cut is Drop, and refuses new connections until Restore: the server is
// gone.
func (p *Proxy) Cut() {
	p.down.Store(true)
	p.Drop()
}

// Restore lets new connections through again after Cut.
func (p *Proxy) Restore() { p.down.Store(false) }
