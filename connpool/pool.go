// Package connpool accepts TCP connections and tracks them until they end:
// the accept loop (with backoff when the process runs out of descriptors),
// the per-IP count, and a shutdown that asks every connection to stop and
// waits a bounded time before cutting the rest. The XMPP and IRC listeners
// share it; what a connection says when it stops is theirs.
package connpool

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Conn is a connection the pool runs.
type Conn interface {
	// Serve runs the connection to its end, on its own goroutine.
	Serve()
	// Stop asks it to end now (the server is stopping), in its protocol's
	// words. Safe from any goroutine.
	Stop()
	// Kill closes its socket: the shutdown grace is over.
	Kill()
}

// NewConn makes the connection for an accepted socket. overLimit says its
// address has more connections than allowed: the connection refuses itself,
// so that the refusal is a proper protocol error.
type NewConn func(nc net.Conn, ip string, overLimit bool) Conn

// Pool is a set of listeners and the connections they accepted.
type Pool struct {
	ctx      context.Context // cancelled when shutdown begins
	cancel   context.CancelFunc
	log      zerolog.Logger
	maxPerIP int

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[Conn]string // → remote IP
	perIP     map[string]int

	connWG   sync.WaitGroup
	acceptWG sync.WaitGroup
}

// New returns an empty pool; maxPerIP 0 means no per-IP limit.
func New(maxPerIP int, log zerolog.Logger) *Pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{ctx: ctx, cancel: cancel, log: log, maxPerIP: maxPerIP,
		conns: map[Conn]string{}, perIP: map[string]int{}}
}

// Context is cancelled when the pool begins to shut down: long operations
// of a connection (a TLS handshake) watch it.
func (p *Pool) Context() context.Context { return p.ctx }

// Serve accepts connections on l in the background.
func (p *Pool) Serve(l net.Listener, newConn NewConn) {
	p.mu.Lock()
	p.listeners = append(p.listeners, l)
	p.mu.Unlock()
	p.acceptWG.Add(1)
	go func() {
		defer p.acceptWG.Done()
		p.accept(l, newConn)
	}()
}

func (p *Pool) accept(l net.Listener, newConn NewConn) {
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if p.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and go on, as
			// net/http does, rather than spin or give up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			p.log.Error().Err(err).Dur("retry_in", backoff).Msg("accept failed")
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if c := p.add(nc, newConn); c != nil {
			go func() {
				defer p.forget(c)
				c.Serve()
			}()
		}
	}
}

// add registers a connection, or closes it when the pool is stopping.
func (p *Pool) add(nc net.Conn, newConn NewConn) Conn {
	ip := remoteIP(nc)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		nc.Close()
		return nil
	}
	p.perIP[ip]++
	c := newConn(nc, ip, p.maxPerIP > 0 && p.perIP[ip] > p.maxPerIP)
	p.conns[c] = ip
	p.connWG.Add(1)
	return c
}

func (p *Pool) forget(c Conn) {
	p.mu.Lock()
	ip := p.conns[c]
	delete(p.conns, c)
	if p.perIP[ip]--; p.perIP[ip] <= 0 {
		delete(p.perIP, ip)
	}
	p.mu.Unlock()
	p.connWG.Done()
}

// Count returns the number of open connections.
func (p *Pool) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func remoteIP(nc net.Conn) string {
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		return nc.RemoteAddr().String()
	}
	return host
}

// Shutdown stops accepting, asks every connection to stop, and waits for
// them until ctx ends; then it kills what is left and returns ctx's error.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	p.cancel()
	conns := make([]Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	p.CloseListeners()
	p.acceptWG.Wait()
	p.log.Info().Int("connections", len(conns)).Msg("shutting down")
	for _, c := range conns {
		c.Stop()
	}
	done := make(chan struct{})
	go func() { p.connWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		for c := range p.conns {
			c.Kill()
		}
		p.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// CloseListeners stops accepting (also used when start-up fails half-way).
func (p *Pool) CloseListeners() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.listeners {
		l.Close()
	}
	p.listeners = nil
}

// LingerTime bounds how long a closing connection drains unread input.
const LingerTime = 500 * time.Millisecond

// Linger half-closes a TCP connection and drains what the client still
// sends for a moment (as net/http does): closing with unread input would
// make the kernel answer with a reset, which can discard the last error the
// server wrote before the client reads it.
func Linger(nc net.Conn) {
	tcp, ok := nc.(*net.TCPConn)
	if !ok || tcp.CloseWrite() != nil {
		return
	}
	_ = tcp.SetReadDeadline(time.Now().Add(LingerTime))
	_, _ = io.CopyN(io.Discard, tcp, 256<<10)
}
