package control

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestRoundTrip: a request reaches the handler and its response comes
// back; the socket is 0600; a socket left by a killed server is replaced;
// after Close the socket is gone and Call says nothing runs.
func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), SocketName)
	// A stale socket: bound, never unlinked, nobody listening.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := Call(path, Request{Command: CmdStatus}, time.Second); !errors.Is(err, ErrNotRunning) {
		t.Errorf("a stale socket: %v, want ErrNotRunning", err)
	}

	s, err := Listen(path, HandlerFunc(func(r Request) Response {
		return Response{OK: true, Output: r.Command + " " + r.Name}
	}), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, %v", fi.Mode(), err)
	}
	resp, err := Call(path, Request{Command: CmdUsersDel, Name: "carol"}, 5*time.Second)
	if err != nil || !resp.OK || resp.Output != "users.del carol" {
		t.Errorf("Call: %+v, %v", resp, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the socket outlived Close: %v", err)
	}
	if _, err := Call(path, Request{Command: CmdStatus}, time.Second); !errors.Is(err, ErrNotRunning) {
		t.Errorf("after Close: %v, want ErrNotRunning", err)
	}
}
