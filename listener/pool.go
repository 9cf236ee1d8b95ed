// Package listener accepts TCP connections and tracks them until they end:
// the accept loop (with backoff when the process runs out of descriptors),
// the per-IP and total counts, the inbound rate limit of every connection,
// and a shutdown that asks every connection to stop and waits a bounded time
// before cutting the rest. The XMPP and IRC listeners share it; what a
// connection says when it stops or is refused is theirs.
package listener

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"jabberd/internal/workers"
	"net"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Conn is a connection the pool runs.
type Conn interface {
	// Serve runs the connection, on its own goroutine, and calls done
	// once it has ended. It may return before (transport parks an idle
	// connection, which then goes on on other goroutines): only done says
	// the connection is over.
	Serve(done func())
	// Stop asks it to end now (the server is stopping), in its protocol's
	// words. Safe from any goroutine.
	Stop()
	// Kill closes its socket: the shutdown grace is over.
	Kill()
}

// NewConn makes the connection for an accepted socket. A refusal that is
// not Admitted says a limit is exceeded: the connection refuses itself, so
// that the refusal is a proper protocol error.
type NewConn func(nc net.Conn, ip string, refusal Refusal) Conn

// RefusalKind says which limit refused a connection.
type RefusalKind int

// The limits.
const (
	Admitted  RefusalKind = iota // no limit exceeded
	OverPerIP                    // Limits.PerIP: the client's address has too many
	OverTotal                    // Limits.Total: the server has too many
)

// Refusal says whether, and by which limit, a connection is refused.
type Refusal struct {
	Kind  RefusalKind
	IP    string // the client's address
	Limit int    // the limit exceeded
}

// Refused reports whether a limit refused the connection.
func (r Refusal) Refused() bool { return r.Kind != Admitted }

// String is the reason for the client and the log, "" when admitted.
func (r Refusal) String() string {
	switch r.Kind {
	case OverPerIP:
		return fmt.Sprintf("too many connections from %s (limit %d)", r.IP, r.Limit)
	case OverTotal:
		return fmt.Sprintf("the server has too many connections (limit %d)", r.Limit)
	}
	return ""
}

// Limits bound the connections of a pool. Zero means no limit.
type Limits struct {
	PerIP int // open connections from one address
	Total int // open connections admitted, from all addresses
	// BytesPerSecond and Burst rate-limit what each connection reads (see
	// limitedConn); Burst must be positive when BytesPerSecond is.
	BytesPerSecond int
	Burst          int
}

// Pool is a set of listeners and the connections they accepted.
type Pool struct {
	ctx    context.Context // cancelled when shutdown begins
	cancel context.CancelFunc
	log    zerolog.Logger
	lim    Limits

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[Conn]string // → remote IP
	perIP     map[string]int
	admitted  map[Conn]bool // the connections that count against lim.Total
	lastFull  time.Time     // when reaching lim.Total was last logged

	connWG   sync.WaitGroup
	acceptWG sync.WaitGroup
}

// New returns an empty pool with the given limits.
func New(lim Limits, log zerolog.Logger) *Pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{ctx: ctx, cancel: cancel, log: log, lim: lim,
		conns: map[Conn]string{}, perIP: map[string]int{}, admitted: map[Conn]bool{}}
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
			workers.Go(func() { c.Serve(func() { p.forget(c) }) })
		}
	}
}

// add registers a connection, or closes it when the pool is stopping.
// A refused connection is still run (it says why in its protocol) but does
// not count against the total: refusing must not use up the capacity that
// admitted clients have.
func (p *Pool) add(nc net.Conn, newConn NewConn) Conn {
	ip := remoteIP(nc)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		nc.Close()
		return nil
	}
	p.perIP[ip]++
	r := Refusal{IP: ip}
	switch {
	case p.lim.PerIP > 0 && p.perIP[ip] > p.lim.PerIP:
		r.Kind, r.Limit = OverPerIP, p.lim.PerIP
	case p.lim.Total > 0 && len(p.admitted) >= p.lim.Total:
		r.Kind, r.Limit = OverTotal, p.lim.Total
		// One line when the limit is reached, not one per refusal: a
		// flood of refused connections must not flood the log. Each
		// connection still logs its own refusal at info.
		if now := time.Now(); now.Sub(p.lastFull) >= 10*time.Second {
			p.lastFull = now
			p.log.Warn().Int("limit", p.lim.Total).Msg("connection limit reached; refusing new connections (limits.max_connections)")
		}
	}
	if p.lim.BytesPerSecond > 0 {
		nc = newLimitedConn(nc, p.lim.BytesPerSecond, p.lim.Burst)
	}
	c := newConn(nc, ip, r)
	p.conns[c] = ip
	if !r.Refused() {
		p.admitted[c] = true
	}
	p.connWG.Add(1)
	return c
}

func (p *Pool) forget(c Conn) {
	p.mu.Lock()
	ip := p.conns[c]
	delete(p.conns, c)
	delete(p.admitted, c)
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
	tcp := halfClose(nc)
	if tcp == nil {
		return
	}
	_ = tcp.SetReadDeadline(time.Now().Add(LingerTime))
	_, _ = io.CopyN(io.Discard, tcp, 256<<10)
}

// LingerKeep is Linger for a connection the lab watches: it waits up to
// window and keeps (up to max bytes) what the client sends after the
// server ended the exchange — a client that goes on in plaintext after a
// refused STARTTLS or a failed handshake shows itself there.
func LingerKeep(nc net.Conn, window time.Duration, max int64) []byte {
	tcp := halfClose(nc)
	if tcp == nil {
		return nil
	}
	_ = tcp.SetReadDeadline(time.Now().Add(window))
	var kept bytes.Buffer
	_, _ = io.CopyN(&kept, tcp, max)
	_, _ = io.CopyN(io.Discard, tcp, 256<<10) // the rest is drained, not kept
	return kept.Bytes()
}

// halfClose ends the output of the TCP socket under nc and returns it (nil
// when it is not TCP or the half-close failed). Half-closing needs the
// TCP socket itself; draining through the rate limit would only slow the
// close down.
func halfClose(nc net.Conn) *net.TCPConn {
	tcp := tcpOf(nc)
	if tcp == nil || tcp.CloseWrite() != nil {
		return nil
	}
	return tcp
}

// tcpOf is the TCP socket under nc (past the rate limit), nil when there
// is none.
func tcpOf(nc net.Conn) *net.TCPConn {
	if l, ok := nc.(*limitedConn); ok {
		nc = l.Conn
	}
	tcp, _ := nc.(*net.TCPConn)
	return tcp
}
