package listener

import (
	"net"
	"os"
	"sync"
	"time"
)

// limitedConn slows what a connection reads to a rate (limits
// max_bytes_per_second): a token bucket of burst bytes, refilled at rate
// bytes per second. It wraps the accepted socket, below TLS and below both
// protocols' readers, so plaintext, TLS records and IRC lines all count, as
// bytes on the wire.
//
// A client over the rate is slowed, not cut: each Read returns what the
// socket had (at most burst bytes) and then waits until the bucket has paid
// for it, so the server reads no faster than the rate and the kernel's
// buffers, then TCP flow control, hold the client back. The bucket may go
// into debt (a read of n bytes when fewer tokens are left): the next Read
// pays it.
//
// The wait never outlasts the read deadline: the negotiation and idle
// timeouts still end a slow client on time, and a deadline set from another
// goroutine (stopWith, shutdown) ends a wait at once. When the deadline
// cuts a wait short, the bytes already read are returned and the debt
// stays; the next Read then meets the deadline here, before the socket.
type limitedConn struct {
	net.Conn
	rate  float64 // bytes per second
	burst int
	now   func() time.Time // tests

	mu       sync.Mutex
	tokens   float64
	last     time.Time
	deadline time.Time     // the read deadline as last set; zero: none
	kick     chan struct{} // closed when the deadline changes during a wait
	waiting  bool          // a Read waits on kick
}

func newLimitedConn(nc net.Conn, rate, burst int) *limitedConn {
	c := &limitedConn{Conn: nc, rate: float64(rate), burst: burst, now: time.Now, kick: make(chan struct{})}
	c.tokens, c.last = float64(burst), c.now()
	return c
}

func (c *limitedConn) Read(p []byte) (int, error) {
	if c.pastDeadline() {
		// The socket may not know yet: the runtime marks a deadline passed
		// from a timer of its own, and a wait the deadline cut short wakes
		// at the same instant. Reading then would take what the kernel holds
		// at full speed until that timer runs.
		return 0, os.ErrDeadlineExceeded
	}
	if len(p) > c.burst {
		p = p[:c.burst] // a read never takes more than the bucket holds
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.pay(n)
	}
	return n, err
}

// pastDeadline reports whether the read deadline as last set has come.
func (c *limitedConn) pastDeadline() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.deadline.IsZero() && !c.now().Before(c.deadline)
}

// pay takes n tokens and waits until the balance is no longer negative, or
// the read deadline comes, or the deadline is changed.
func (c *limitedConn) pay(n int) {
	c.mu.Lock()
	now := c.now()
	c.tokens = min(float64(c.burst), c.tokens+now.Sub(c.last).Seconds()*c.rate)
	c.last = now
	c.tokens -= float64(n)
	if c.tokens >= 0 {
		c.mu.Unlock()
		return
	}
	wait := time.Duration(-c.tokens / c.rate * float64(time.Second))
	if !c.deadline.IsZero() {
		wait = min(wait, c.deadline.Sub(now))
	}
	if wait <= 0 {
		c.mu.Unlock()
		return
	}
	c.waiting = true
	kick := c.kick
	c.mu.Unlock()
	t := time.NewTimer(wait)
	select {
	case <-t.C:
	case <-kick:
		t.Stop()
	}
	c.mu.Lock()
	c.waiting = false
	c.mu.Unlock()
}

func (c *limitedConn) setDeadline(t time.Time) {
	c.mu.Lock()
	c.deadline = t
	if c.waiting {
		// Only then: the serve loops set a deadline before every read.
		close(c.kick)
		c.kick = make(chan struct{})
	}
	c.mu.Unlock()
}

func (c *limitedConn) SetReadDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetReadDeadline(t)
}

func (c *limitedConn) SetDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetDeadline(t)
}
