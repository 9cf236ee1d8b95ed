package transport

import (
	"errors"
	"jabberd/internal/workers"
	"os"
	"sync"
	"syscall"
	"time"
)

// A parked connection has no goroutine. Once a session has been quiet for
// IdleGrace (see AwaitInput), its socket is handed to the shared poller and
// the goroutine that served it exits: an idle session costs no stack at all,
// where a goroutine per connection kept at least 4 KiB. A new goroutine
// takes the connection up again (the driver's Resume) on whichever comes
// first:
//
//   - the socket is readable (data, the client hung up): the poller;
//   - the idle deadline passes: a timer;
//   - the server ends the connection (StopWith: shutdown, replaced): StopWith;
//   - its socket is closed under it (Kill, a client that does not read, a
//     failed write): closing a descriptor silently takes it out of an epoll
//     set, so Kill wakes the connection itself rather than wait for an
//     event that never comes.
//
// Exactly one of them resumes it: they race for park.parked under park.mu.

// ErrParked is what AwaitInput returns when it handed the connection to the
// poller: the driver's Serve (or Resume) must return at once, touching
// nothing of the connection, which may already run again on another
// goroutine. The core neither ends the connection nor recovers for it then.
var ErrParked = errors.New("transport: the connection is parked")

// Resumer is a Driver whose read loop can stop at AwaitInput (ErrParked)
// and be taken up again on a new goroutine. A Driver that is not one keeps
// its goroutine while idle.
type Resumer interface {
	// Resume continues the read loop where AwaitInput returned ErrParked:
	// err is what AwaitInput would have returned (nil: there is input or
	// the socket ended; os.ErrDeadlineExceeded; the Stopping reason), and
	// deadline the one the driver gave it. It runs under the same recover
	// and the same end of the connection as Serve, and may park again.
	Resume(deadline time.Time, err error)
}

// park is a Conn's parked state; all of it under mu.
type park struct {
	mu     sync.Mutex
	parked bool
	id     uint64 // the poller's registration: a stale event carries another
	until  time.Time
	timer  *time.Timer
	rc     syscall.RawConn
}

// lap is one goroutine's turn at serving a connection; parked says the
// turn ended by handing the connection on, so that its goroutine must not
// end the connection. Only that goroutine reads it, and it is set before
// anything can resume the connection.
type lap struct{ parked bool }

// canPark reports whether this connection can be parked: the driver can
// resume, the platform has a poller, the socket has a descriptor (a
// rate-limited socket has none to give).
func (c *Conn) canPark() (syscall.RawConn, bool) {
	if _, ok := c.driver.(Resumer); !ok {
		return nil, false
	}
	sc, ok := c.tcp.(syscall.Conn)
	if !ok || sharedPoller() == nil {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	return rc, err == nil
}

// parkUntil hands the connection to the poller until deadline and returns
// ErrParked; or it returns why it did not (the server ends the connection,
// or nil: the socket is already gone, and the driver's read will say so).
func (c *Conn) parkUntil(deadline time.Time, rc syscall.RawConn) error {
	if err := c.Arm(deadline); err != nil {
		return err
	}
	p := &c.park
	p.mu.Lock()
	id, ok := sharedPoller().watch(c, rc)
	if !ok {
		p.mu.Unlock()
		return nil
	}
	p.parked, p.id, p.until, p.rc = true, id, deadline, rc
	p.timer = time.AfterFunc(time.Until(deadline), func() { c.wake(id, os.ErrDeadlineExceeded) })
	c.lap.parked = true
	p.mu.Unlock()
	c.set.parked.Add(1)
	// A stop or a kill that came before the connection was parked found
	// nothing to wake.
	if err := c.Stopping(); err != nil {
		c.wake(id, err)
	} else if c.killed.Load() {
		c.wake(id, nil)
	}
	return ErrParked
}

// wake resumes the parked connection on a new goroutine with err as
// AwaitInput's outcome. id is the registration the cause belongs to (0:
// whichever is current); a cause that comes late, or for an earlier
// parking, does nothing.
func (c *Conn) wake(id uint64, err error) {
	p := &c.park
	p.mu.Lock()
	if !p.parked || (id != 0 && id != p.id) {
		p.mu.Unlock()
		return
	}
	p.parked = false
	id, until, timer, rc := p.id, p.until, p.timer, p.rc
	p.timer, p.rc = nil, nil
	p.mu.Unlock()
	timer.Stop()
	c.set.parked.Add(-1)
	workers.Go(func() { c.resume(id, rc, until, err) })
}

// resume is a parked connection's new goroutine: the registration is
// dropped (the driver may park again), then the driver's loop goes on under
// the protection Serve gives.
func (c *Conn) resume(id uint64, rc syscall.RawConn, until time.Time, err error) {
	l := &lap{}
	c.lap = l
	defer c.endUnlessParked(l)
	defer c.recoverPanic()
	sharedPoller().unwatch(id, rc)
	c.driver.(Resumer).Resume(until, err)
}

// endUnlessParked ends the connection when the goroutine's turn ended for
// good, not by parking.
func (c *Conn) endUnlessParked(l *lap) {
	if !l.parked {
		c.ended()
	}
}

// cut closes the socket under the connection (Kill, a client that does not
// read, a failed write) and wakes it if it is parked: its next read fails.
func (c *Conn) cut() {
	c.killed.Store(true)
	c.tcp.Close()
	c.wake(0, nil)
}

// Parked is how many connections of the listener are parked (no goroutine).
func (s *Settings) Parked() int { return int(s.parked.Load()) }
