package sockettest

import (
	"net"
	"testing"

	"golang.org/x/sys/unix"
)

// Unsent is how many bytes c's socket holds in its send queue without
// having sent them (SIOCOUTQNSD): data waiting for a cork to open, for
// instance. Loopback sends what it may within the write, so anything else
// reads 0.
func Unsent(t testing.TB, c *net.TCPConn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var ierr error
	if err := rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.SIOCOUTQNSD) }); err != nil {
		t.Fatal(err)
	}
	if ierr != nil {
		t.Fatal(ierr)
	}
	return n
}
