package transport

import (
	"errors"
	"os"
	"time"
)

// An idle session spends its life waiting for the client's next stanza.
// Waiting inside the protocol's parser (the XML decoder under the reader,
// crypto/tls under that) parks the goroutine with its deepest stack, and
// the runtime only shrinks a stack at a collection when the parked frames
// use less than a quarter of it: every idle session kept 8 KiB. A session
// that has been quiet for IdleGrace waits instead in a shallow frame, on
// the socket itself, and enters its parser again only once the client has
// sent something: its stack shrinks to 4 KiB (measured: BENCHMARKS.md).

// AwaitInput returns once the client has sent something for the driver's
// reader, or with the reason it will not: the deadline passed, the server
// ends the connection (Stopping), the client hung up. r's Fill reads what
// the transport gives into the driver's reader, once, outside its parser.
// Call it only when the reader has nothing buffered.
//
// A busy session pays little for it: Fill waits for up to IdleGrace, the
// one read the parser would have made, under one more read deadline (the
// caller sets the full one again for the rest of a stanza). Only when the grace passes without
// input is the session idle: the observer is told (Quieter, so that it can
// pack what it keeps) and the wait goes on on the socket, in a shallow
// frame, until the deadline. Whatever crypto/tls held buffered, Fill has
// taken: what is left to come is on the socket. Where it can (a Resumer
// driver, Linux, a socket with a descriptor), the wait is no frame at all:
// the connection is parked (see park.go) and AwaitInput returns ErrParked.
func (c *Conn) AwaitInput(deadline time.Time, r Filler) error {
	grace := deadline
	if c.set.IdleGrace > 0 {
		grace = minTime(deadline, timeNow().Add(c.set.IdleGrace))
	}
	if err := c.Arm(grace); err != nil {
		return err
	}
	if err := r.Fill(); !errors.Is(err, os.ErrDeadlineExceeded) || !grace.Before(deadline) {
		return err // data, the end of the connection, or the deadline itself
	}
	c.quiet()
	if rc, ok := c.canPark(); ok {
		c.release(r)
		return c.parkUntil(deadline, rc)
	}
	return c.awaitSocket(deadline)
}

// awaitSocket parks until the socket is readable or deadline. Its frame
// is kept small (not inlined into AwaitInput): it is what an idle session
// parks in.
//
//go:noinline
func (c *Conn) awaitSocket(deadline time.Time) error {
	if err := c.Arm(deadline); err != nil {
		return err
	}
	return waitReadable(c.tcp)
}

// quiet tells the observer that the connection is idle.
func (c *Conn) quiet() {
	if q, ok := c.obs.(Quieter); ok {
		q.Quiet()
	}
}

// Filler is the driver's reader as AwaitInput sees it (stream.Reader).
type Filler interface {
	// Fill reads once from the connection into the reader's buffer; a
	// read that ran into its deadline (os.ErrDeadlineExceeded) can be
	// tried again.
	Fill() error
}

// Releaser is a Filler that can let go of its buffers and parser while it
// waits a long time for input (stream.Reader), making them again when it
// reads; it does not when something is buffered.
type Releaser interface {
	Release() bool
}

// release lets the reader and the observer's tap let go of what they hold
// for a connection about to be parked.
func (c *Conn) release(r Filler) {
	if rl, ok := r.(Releaser); ok {
		rl.Release()
	}
	if c.tap != nil {
		c.tap.release()
	}
}

// Quieter is an Observer that packs what it keeps when its connection goes
// quiet (the lab's transcript). Quiet is called on the connection's
// goroutine, between two inputs.
type Quieter interface {
	Quiet()
}

// DefaultIdleGrace is how long a session waits without input before it
// counts as idle: longer than the pauses of a busy session, short enough
// that an idle one soon parks shallow and packs its transcript.
const DefaultIdleGrace = time.Second

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
