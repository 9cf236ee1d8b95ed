package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSend checks the datagrams a service manager receives, and that
// nothing is sent (and nothing fails) without $NOTIFY_SOCKET.
func TestSend(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := Ready("x"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v", err)
	}
	path := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	for _, c := range []struct {
		send func() error
		want string
	}{
		{func() error { return Ready("serving localhost") }, "READY=1\nSTATUS=serving localhost"},
		{Reloading, "RELOADING=1\nMONOTONIC_USEC="},
		{Stopping, "STOPPING=1"},
	} {
		if err := c.send(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		_ = l.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := l.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); !strings.HasPrefix(got, c.want) {
			t.Errorf("got %q, want %q…", got, c.want)
		}
	}
}
