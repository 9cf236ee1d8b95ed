//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package transport

import (
	"net"
	"syscall"
)

// waitReadable parks until the socket has something to read (data, the
// end of the stream, an error) or its read deadline passes. It asks the
// kernel with a non-blocking MSG_PEEK, which consumes nothing, and waits
// on Go's poller otherwise: the poller is edge-triggered, so the peek, not
// a readiness already signalled, says whether bytes are there. A socket
// with no descriptor to ask (a wrapped connection) returns at once: the
// driver's read then waits where it always did.
func waitReadable(nc net.Conn) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc.Read(peekReadable)
}

func peekReadable(fd uintptr) bool {
	var b [1]byte
	for {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err != syscall.EINTR {
			return err != syscall.EAGAIN
		}
	}
}
