package listener

import (
	"net"
	"syscall"
)

// JoinFIN makes what is written on nc from now on wait in the kernel for
// the half-close that Linger (or LingerKeep) sends next, so that the last
// words and the FIN leave in one segment instead of two: one transmission
// and one wake-up of the client fewer per connection. The caller must
// half-close at once: TCP_CORK lets held data go on its own only after
// about a retransmission timeout (200 ms at least), and close(2) with
// unread input resets the connection instead of sending it. Without a TCP
// socket under nc it does nothing.
func JoinFIN(nc net.Conn) {
	tcp := tcpOf(nc)
	if tcp == nil {
		return
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, 1)
	})
}
