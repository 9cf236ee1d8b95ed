package listener

import (
	"net"
	"syscall"
	"testing"
	"time"

	"jabberd/internal/sockettest"
)

// keepAliveOf accepts one connection on l and reads its SO_KEEPALIVE,
// TCP_KEEPIDLE and TCP_KEEPINTVL (seconds) from the kernel.
func keepAliveOf(t *testing.T, l net.Listener) (on bool, idle, interval int) {
	t.Helper()
	_, server := sockettest.Connect(t, l)
	rc, err := server.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ka int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		ka, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		if gerr == nil {
			idle, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)
		}
		if gerr == nil {
			interval, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return ka != 0, idle, interval
}

func TestListenKeepAlive(t *testing.T) {
	// What net.Listen does, so that the check below is seen to see it.
	std, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if on, idle, interval := keepAliveOf(t, std); !on || idle != 15 || interval != 15 {
		t.Fatalf("net.Listen's connection: keepalive %v, idle %d s, interval %d s; want on, 15 s, 15 s (Go's default)", on, idle, interval)
	}

	off, err := Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	if on, _, _ := keepAliveOf(t, off); on {
		t.Fatal("Listen with 0: the accepted connection has TCP keepalive on")
	}

	set, err := Listen("127.0.0.1:0", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if on, idle, interval := keepAliveOf(t, set); !on || idle != 90 || interval != 90 {
		t.Fatalf("Listen with 90s: keepalive %v, idle %d s, interval %d s; want on, 90 s between probes too", on, idle, interval)
	}
}
