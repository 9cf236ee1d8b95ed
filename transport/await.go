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
// use less than a quarter of it: every idle session kept 8 KiB. AwaitInput
// waits instead in a shallow frame, on the socket itself, and the driver
// enters its parser only once the client has sent something: a parked idle
// session's stack shrinks to 4 KiB (measured: BENCHMARKS.md).

// AwaitInput returns once the client has sent something for the driver's
// reader, or with the reason it will not: the deadline passed, the server
// ends the connection (Stopping), the client hung up. fill reads what the
// transport gives into the driver's reader, once, outside its parser; over
// TLS it is first called with a deadline already passed, which takes what
// crypto/tls holds decrypted or buffered without touching the socket (a
// burst of records read at once). Only when that is nothing does the wait
// go to the socket. Call it only when the reader has nothing buffered.
//
// After IdleGrace without input, the observer is told the connection is
// quiet (Quieter), so that it can pack what it keeps.
func (c *Conn) AwaitInput(deadline time.Time, fill func() error) error {
	if c.Secure() {
		if err := c.Arm(timeNow()); err != nil {
			return err
		}
		if err := fill(); !errors.Is(err, os.ErrDeadlineExceeded) {
			return err // data, or an end of the connection
		}
	}
	return c.awaitSocket(deadline)
}

// awaitSocket parks until the socket is readable or deadline, telling the
// observer after IdleGrace that the connection is quiet. Its frame is kept
// small (not inlined into AwaitInput): it is what an idle session parks in.
//
//go:noinline
func (c *Conn) awaitSocket(deadline time.Time) error {
	wait := deadline
	quiet := c.obs != nil && c.set.IdleGrace > 0
	if quiet {
		wait = minTime(deadline, timeNow().Add(c.set.IdleGrace))
	}
	for {
		if err := c.Arm(wait); err != nil {
			return err
		}
		err := waitReadable(c.tcp)
		if !quiet || !errors.Is(err, os.ErrDeadlineExceeded) || !wait.Before(deadline) {
			return err
		}
		// The grace passed, the deadline has not: the session is idle.
		c.quiet()
		quiet, wait = false, deadline
	}
}

// quiet tells the observer that the connection is idle.
func (c *Conn) quiet() {
	if q, ok := c.obs.(Quieter); ok {
		q.Quiet()
	}
}

// Quieter is an Observer that packs what it keeps when its connection goes
// quiet (the lab's transcript). Quiet is called on the connection's
// goroutine, between two inputs.
type Quieter interface {
	Quiet()
}

// DefaultIdleGrace is how long a session waits without input before it
// counts as idle.
const DefaultIdleGrace = time.Second

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
