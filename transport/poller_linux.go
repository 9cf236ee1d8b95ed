//go:build linux

package transport

import (
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// poller is the one epoll set that watches every parked connection, with
// one goroutine waiting in it for the whole process. Each parking is one
// registration, level-triggered and one-shot (EPOLLONESHOT): a socket that
// becomes readable reports once, then stays quiet until it is taken out and
// parked again. The event carries the registration's id, not the
// descriptor: a descriptor's number is reused as soon as it is closed, an
// id never is.
//
// The descriptor is only ever touched inside RawConn.Control, which keeps
// it open for the duration: an epoll_ctl can then never reach another
// connection's socket that reused the number.
type poller struct {
	epfd  int
	mu    sync.Mutex
	next  uint64
	conns map[uint64]*Conn
}

var (
	pollerOnce sync.Once
	thePoller  *poller // nil: epoll could not be set up, nothing parks
)

// sharedPoller is the process's poller, started on first use.
func sharedPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		thePoller = &poller{epfd: fd, conns: map[uint64]*Conn{}}
		go thePoller.run()
	})
	return thePoller
}

// watch registers c's socket for one readiness event; false: the socket is
// closed (or epoll refused it), nothing was registered.
func (p *poller) watch(c *Conn, rc syscall.RawConn) (uint64, bool) {
	p.mu.Lock()
	p.next++
	id := p.next
	p.conns[id] = c
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT}
	ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
	var err error
	if cerr := rc.Control(func(fd uintptr) { err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev) }); cerr != nil {
		err = cerr
	}
	if err != nil {
		p.forget(id)
		return 0, false
	}
	return id, true
}

// unwatch takes a registration out. A closed socket has left the set by
// itself (Control then fails and nothing is done).
func (p *poller) unwatch(id uint64, rc syscall.RawConn) {
	p.forget(id)
	_ = rc.Control(func(fd uintptr) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
}

func (p *poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.conns, id)
	p.mu.Unlock()
}

// run waits in epoll for the life of the process and wakes the connections
// whose sockets became readable.
func (p *poller) run() {
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err != syscall.EINTR {
				time.Sleep(10 * time.Millisecond) // not expected: do not spin
			}
			continue
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c != nil {
				c.wake(id, nil)
			}
		}
	}
}
