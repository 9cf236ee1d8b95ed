package listener

import (
	"net"
	"syscall"
)

// JoinFIN makes what is written on nc from now on wait in the kernel for
// the half-close that Linger (or LingerKeep) sends next, so that the last
// words and the FIN leave in one segment instead of two: one transmission
// and one wake-up of the client fewer per connection. It sets TCP_CORK,
// which also lets the data go after at most 200 ms should the half-close
// not come, and close(2) sends it too: nothing written is held for long.
// Without a TCP socket under nc it does nothing.
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
