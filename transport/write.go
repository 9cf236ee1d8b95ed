package transport

import (
	"crypto/tls"
	"errors"
	"time"

	"jabberd/listener"
	"jabberd/starttls"
)

// WriteTimeout bounds every write: a client that stops reading cannot hold
// a goroutine (its own or a sender's) for longer.
const WriteTimeout = 10 * time.Second

// closeNotifyTimeout bounds the close_notify alert at the end.
const closeNotifyTimeout = listener.LingerTime

// ErrClosed refuses a write or a delivery to a connection that has ended.
var ErrClosed = errors.New("the connection is closed")

var timeNow = time.Now

// Write writes b in one write. segs split it into the pieces the log and
// the observer see (nil: one piece); a piece that carries a secret is
// logged and observed redacted. A failed write ends the connection: half
// of it may be on the wire and the client is not reading.
func (c *Conn) Write(b []byte, segs []Segment) error { return c.write(b, segs, false) }

// WriteLast writes b, which ends the protocol's stream: after it nothing
// more is written, and deliveries are refused. Close must follow at once:
// b waits in the kernel for its half-close, to leave with the FIN
// (listener.JoinFIN).
func (c *Conn) WriteLast(b []byte, segs []Segment) error { return c.write(b, segs, true) }

func (c *Conn) write(b []byte, segs []Segment, last bool) error {
	nc := c.transport()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.logSent(b, segs)
	_ = nc.SetWriteDeadline(timeNow().Add(WriteTimeout))
	if last {
		// The close that follows half-closes the socket at once (Close,
		// Linger): the last words wait for its FIN and leave with it.
		listener.JoinFIN(c.tcp)
	}
	var err error
	if tc, ok := nc.(*tls.Conn); ok && last && !c.notified {
		err = c.writeLastTLS(tc, b)
	} else {
		_, err = nc.Write(b)
	}
	if err == nil && c.obs != nil {
		c.observeSent(b, segs)
	}
	if last || err != nil {
		c.closed = true
	}
	if err != nil {
		c.broken = true
		c.Log().Info().Err(err).Msg("write failed; closing")
		c.EndReason("write failed: " + err.Error())
		c.cut()
	}
	return err
}

// writeLastTLS writes the stream's last words and close_notify (RFC 8446
// §6.1) after them in one write: the client reads both at once, and the
// server makes one system call and one segment fewer per connection.
// Under wmu.
func (c *Conn) writeLastTLS(tc *tls.Conn, b []byte) error {
	c.mu.Lock()
	under := c.under
	c.mu.Unlock()
	if under == nil { // not through StartTLS: two writes, as before
		_, err := tc.Write(b)
		return err
	}
	under.hold()
	_, err := tc.Write(b)
	if err == nil {
		_ = tc.CloseWrite() // into the held bytes: it cannot fail on the socket here
		c.notified = true
		// crypto/tls ends close_notify by moving the write deadline to
		// now, so that nothing more is written: the held bytes still are.
		_ = under.SetWriteDeadline(timeNow().Add(closeNotifyTimeout))
	}
	if rerr := under.release(); err == nil {
		err = rerr
	}
	return err
}

// logSent logs a write at debug, piece by piece, secrets redacted.
func (c *Conn) logSent(b []byte, segs []Segment) {
	lg := c.Log()
	if !lg.Debug().Enabled() {
		return
	}
	eachSegment(b, segs, func(piece []byte, redact bool) {
		out := string(piece)
		if redact {
			out = "[SASL payload redacted]"
		}
		lg.Debug().Str("phase", c.Phase()).Str("out", out).Msg("sent")
	})
}

// observeSent gives the observer runs of plain pieces as one record each,
// and a piece with a secret by itself.
func (c *Conn) observeSent(b []byte, segs []Segment) {
	start, prev := 0, 0
	for _, s := range segs {
		if s.Redact {
			if prev > start {
				c.obs.Sent(b[start:prev], false)
			}
			c.obs.Sent(b[prev:s.End], true)
			start = s.End
		}
		prev = s.End
	}
	if len(b) > start {
		c.obs.Sent(b[start:], false)
	}
}

func eachSegment(b []byte, segs []Segment, f func(piece []byte, redact bool)) {
	if len(segs) == 0 {
		f(b, false)
		return
	}
	prev := 0
	for _, s := range segs {
		f(b[prev:s.End], s.Redact)
		prev = s.End
	}
	if prev < len(b) {
		f(b[prev:], false)
	}
}

// Close ends the connection's output after what was written: close_notify
// over TLS (RFC 8446 §6.1), then a TCP half-close, and drains what the
// client still sends for a moment, so that closing with unread input does
// not make the kernel answer with a reset that could discard the last
// words just written. The driver returns from Serve after it.
func (c *Conn) Close() {
	c.endOutput()
	if c.listenLate() {
		return
	}
	listener.Linger(c.tcp)
}

// listenLate is the close of a watched connection whose exchange ended on a
// refusal, a failed handshake or the client ending TLS: it waits
// LateWindow for what the client still sends on the socket and gives it to
// the observer. It reports whether it ran (the socket is then half-closed
// and drained); it runs once.
func (c *Conn) listenLate() bool {
	if c.obs == nil || c.lateAfter == "" || c.lateDone || (c.Secure() && !c.lateTLS) || c.set.LateWindow <= 0 {
		return false
	}
	c.lateDone = true
	data := append(c.late, listener.LingerKeep(c.tcp, c.set.LateWindow, maxLate)...)
	c.late = nil
	if c.lateTLS {
		// Past TLS's own records (its alerts), only plaintext counts.
		if _, data = starttls.ScanRecords(data); len(data) == 0 {
			return true
		}
	}
	c.obs.Late(data, c.lateAfter)
	return true
}

// maxLate bounds what the close keeps of late input for the observer.
const maxLate = 16 << 10

// endOutput sends close_notify if TLS is up and the output is still open,
// and refuses further writes.
func (c *Conn) endOutput() {
	nc := c.transport()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if tc, ok := nc.(*tls.Conn); ok && !c.broken && !c.notified {
		_ = tc.SetWriteDeadline(timeNow().Add(closeNotifyTimeout))
		_ = tc.CloseWrite()
	}
	c.closed, c.notified = true, true
}

// finish runs as Serve ends, however it ends: close_notify if the output
// was not closed yet (the client hung up, a panic), then the queue is
// closed and what it held goes to Settings.Undelivered.
func (c *Conn) finish() {
	c.endOutput()
	// A client that ended TLS itself (it hung up) did not pass through
	// the driver's Close: listen here.
	c.listenLate()
	c.CloseQueue()
}
