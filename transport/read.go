package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// Source is what the driver's reader reads: the current transport, and,
// while an observer watches, a tap that keeps the bytes until Received
// takes them. Call it again after StartTLS (and at a stream restart, which
// starts a fresh reader).
func (c *Conn) Source() io.Reader {
	var r io.Reader = c.transport()
	c.tap = nil
	if c.obs != nil {
		c.tap = &inTap{r: r}
		r = c.tap
	}
	return r
}

// Received tells the observer that the next n bytes the reader consumed
// were one unit of input, meaning what. redacted, when not nil, stands in
// for the bytes: they carried a secret.
func (c *Conn) Received(n int, what Input, redacted []byte) {
	if c.obs == nil {
		return
	}
	var raw []byte
	if c.tap != nil {
		raw = c.tap.take(n)
	}
	if redacted != nil {
		c.obs.Received(redacted, n, true, what)
		return
	}
	c.obs.Received(raw, n, false, what)
}

// Arm sets the deadline of the next read and returns the reason the server
// ends the connection, if it does: then the driver must not read.
func (c *Conn) Arm(deadline time.Time) error {
	if err := c.Stopping(); err != nil {
		return err
	}
	_ = c.transport().SetReadDeadline(deadline)
	// StopWith may have run between the check and the deadline, which then
	// overwrote its immediate one.
	return c.Stopping()
}

// ReadEnd says why a read failed.
type ReadEnd int

// The ways a read ends without data.
const (
	// Stopped: the server ends the connection (Stopping says why).
	Stopped ReadEnd = iota + 1
	// TimedOut: the read deadline passed.
	TimedOut
	// HungUp: the client closed the connection.
	HungUp
	// Broken: the connection failed otherwise.
	Broken
)

// ReadFailed classifies a read error the driver did not recognise as its
// protocol's own, and logs the end of a connection the client ended.
func (c *Conn) ReadFailed(err error) ReadEnd {
	var nerr net.Error
	switch {
	case c.Stopping() != nil:
		return Stopped
	case errors.As(err, &nerr) && nerr.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return TimedOut
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.Log().Info().Msg("client disconnected")
		c.EndReason("client disconnected")
		if c.Secure() {
			// A client that refuses the certificate after the handshake
			// may end TLS and go on in plaintext on the same socket.
			c.lateAfter, c.lateTLS = "the client ended TLS", true
		}
		return HungUp
	default:
		c.Log().Info().Err(err).Msg("connection failed")
		c.EndReason("connection failed: " + err.Error())
		return Broken
	}
}

// inTap keeps what the reader reads from the client until the unit those
// bytes belong to is observed: the observer then holds the client's exact
// bytes (declaration, whitespace, its own quoting, line endings), and
// nothing has to be written back out of a parsed form.
type inTap struct {
	r     io.Reader
	buf   []byte // read, not yet taken: buf[start:]
	start int
}

func (t *inTap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.buf = append(t.buf, p[:n]...)
	}
	return n, err
}

// take returns the next n bytes read; they are valid until the next Read.
func (t *inTap) take(n int) []byte {
	n = max(0, min(n, len(t.buf)-t.start))
	b := t.buf[t.start : t.start+n]
	t.start += n
	if t.start == len(t.buf) {
		// All taken: the next read starts over at the front, and a buffer
		// that a burst grew is not kept by an idle session.
		if cap(t.buf) > 1024 {
			t.buf = nil
		} else {
			t.buf = t.buf[:0]
		}
		t.start = 0
	}
	return b
}

// release lets go of the buffer once everything read was taken.
func (t *inTap) release() {
	if t.start == len(t.buf) {
		t.buf, t.start = nil, 0
	}
}
