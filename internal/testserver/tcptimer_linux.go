package testserver

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TCPTimer waits out a retransmit timer (which loopback ends at once, with
// the peer's ACK) and returns the kernel's pending timer of the IPv4 socket
// from local to remote, as the "tr" column of /proc/net/tcp has it: "00"
// none, "01" retransmit, "02" keepalive, "03" TIME_WAIT, "04" zero-window
// probe. Tests read a server-side socket's keepalive from it.
func TCPTimer(t testing.TB, local, remote string) string {
	t.Helper()
	l, r := procAddr(t, local), procAddr(t, remote)
	for deadline := time.Now().Add(5 * time.Second); ; {
		got := procTimer(t, l, r)
		if got != "01" || time.Now().After(deadline) {
			return got
		}
		time.Sleep(time.Millisecond)
	}
}

// procAddr writes an IPv4 address as /proc/net/tcp does.
func procAddr(t testing.TB, a string) string {
	t.Helper()
	ap, err := net.ResolveTCPAddr("tcp", a)
	if err != nil || ap.IP.To4() == nil {
		t.Fatalf("TCPTimer needs an IPv4 address: %q (%v)", a, err)
	}
	ip := ap.IP.To4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port)
}

func procTimer(t testing.TB, local, remote string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[1] == local && f[2] == remote {
			return strings.SplitN(f[5], ":", 2)[0]
		}
	}
	t.Fatalf("no socket %s → %s in /proc/net/tcp", local, remote)
	return ""
}
