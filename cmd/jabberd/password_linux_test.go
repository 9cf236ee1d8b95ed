package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the master end the test types into and
// reads the screen from, the terminal end the command gets.
// waitNoEcho waits until the terminal stops echoing: the prompt is written
// just before the password reader turns echo off, and typing in between
// would be echoed by the terminal, not by jabberd.
func waitNoEcho(t *testing.T, tty *os.File) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminal still echoes 5s after the prompt")
		}
		time.Sleep(time.Millisecond)
	}
}

func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// screen collects what the terminal shows.
type screen struct {
	buf syncBuffer
}

func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; it shows %q", want, s.buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUsersPasswordOnTerminal runs `jabberd users add` on a terminal: the
// password is asked twice and never echoed; two different answers change
// nothing.
func TestUsersPasswordOnTerminal(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "st")
	for _, c := range []struct {
		second string
		code   int
		out    string
	}{
		{"differs", 1, ""},
		{"s3cret-typed", 0, "added carol\n"},
	} {
		master, tty := openPTY(t)
		cmd := exec.Command(bin, "users", "-state", state, "add", "carol")
		var out bytes.Buffer
		cmd.Stdin, cmd.Stderr, cmd.Stdout = tty, tty, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var scr screen
		go func() {
			b := make([]byte, 256)
			for {
				n, err := master.Read(b)
				scr.buf.Write(b[:n])
				if err != nil {
					return
				}
			}
		}()
		scr.waitFor(t, "password for carol: ")
		waitNoEcho(t, tty) // a user who types at once must not race the prompt
		_, _ = master.WriteString("s3cret-typed\r")
		scr.waitFor(t, "the same again: ")
		waitNoEcho(t, tty)
		_, _ = master.WriteString(c.second + "\r")
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		time.Sleep(50 * time.Millisecond) // the last of the screen
		if code != c.code || out.String() != c.out {
			t.Errorf("second answer %q: exit %d, stdout %q; screen %q", c.second, code, out.String(), scr.buf.String())
		}
		if strings.Contains(scr.buf.String(), "%!") {
			t.Errorf("a prompt is misformatted: %q", scr.buf.String())
		}
		if strings.Contains(scr.buf.String(), "s3cret") || strings.Contains(scr.buf.String(), "differs") {
			t.Errorf("the password was echoed: %q", scr.buf.String())
		}
		if c.code == 1 && !strings.Contains(scr.buf.String(), "the two differ; nothing changed") {
			t.Errorf("no word about the mismatch: %q", scr.buf.String())
		}
	}
	checkPasswords(t, state, map[string]string{"carol": "s3cret-typed"})
}
