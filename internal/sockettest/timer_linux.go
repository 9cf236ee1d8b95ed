package sockettest

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TCPTimer waits out a retransmit timer (which loopback ends at once, with
// the peer's ACK) and returns the kernel's pending timer of the IPv4 socket
// from local to remote, as the "tr:tm->when" column of /proc/net/tcp has
// it: kind "00" none, "01" retransmit, "02" keepalive, "03" TIME_WAIT, "04"
// zero-window probe, and the time until it fires. Tests read a server-side
// socket's keepalive from it.
func TCPTimer(t testing.TB, local, remote string) (kind string, in time.Duration) {
	t.Helper()
	l, r := procAddr(t, local), procAddr(t, remote)
	for deadline := time.Now().Add(5 * time.Second); ; {
		kind, in = procTimer(t, l, r)
		if kind != "01" || time.Now().After(deadline) {
			return kind, in
		}
		time.Sleep(time.Millisecond)
	}
}

// procAddr writes an IPv4 address as /proc/net/tcp does: the address as
// the host's 32-bit integer (bytes reversed on little-endian machines,
// which are the ones this runs on), the port in hex.
func procAddr(t testing.TB, a string) string {
	t.Helper()
	ap, err := net.ResolveTCPAddr("tcp", a)
	if err != nil || ap.IP.To4() == nil {
		t.Fatalf("TCPTimer needs an IPv4 address: %q (%v)", a, err)
	}
	ip := ap.IP.To4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port)
}

// procTimer reads the timer column of the socket from local to remote:
// its kind and the time until it fires (in clock ticks of 1/100 s).
func procTimer(t testing.TB, local, remote string) (string, time.Duration) {
	t.Helper()
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 5 && f[1] == local && f[2] == remote {
			kind, when, _ := strings.Cut(f[5], ":")
			ticks, err := strconv.ParseInt(when, 16, 64)
			if err != nil {
				t.Fatalf("/proc/net/tcp timer column %q: %v", f[5], err)
			}
			return kind, time.Duration(ticks) * 10 * time.Millisecond
		}
	}
	t.Fatalf("no socket %s → %s in /proc/net/tcp", local, remote)
	return "", 0
}

// KeepAlivePeriods are the limits.tcp_keepalive settings a listener's test
// tries: none (the default) and a period that is not Go's 15 s.
var KeepAlivePeriods = []time.Duration{0, 90 * time.Second}

// CheckKeepAlive fails the test unless the server-side socket from local to
// remote has the TCP keepalive that the setting keepAlive asks for: no
// keepalive timer for 0, else one that fires within keepAlive and later
// than Go's 15 s default would.
func CheckKeepAlive(t testing.TB, local, remote string, keepAlive time.Duration) {
	t.Helper()
	kind, in := TCPTimer(t, local, remote)
	switch {
	case keepAlive == 0 && kind != "00":
		t.Fatalf("server side's pending timer %q, want none (00; 02 is keepalive)", kind)
	case keepAlive > 0 && kind != "02":
		t.Fatalf("server side's pending timer %q, want keepalive (02)", kind)
	case keepAlive > 0 && (in <= 15*time.Second || in > keepAlive):
		t.Fatalf("keepalive fires in %v, want within %v and after Go's default 15 s", in, keepAlive)
	}
}
