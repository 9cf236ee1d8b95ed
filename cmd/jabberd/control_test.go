package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"jabberd/control"
)

// jabberdCmd runs the binary once (a client command) and returns its exit
// code, stdout and stderr.
func jabberdCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestServeControlSocket runs the binary and administers it while it
// runs: the socket is owner-only; users add makes an account that logs in
// at once; passwd on an account of the configuration is refused, saying
// where to change it; status and reload answer; once the server has
// stopped, status says so (exit 3) and users work on the store directly.
func TestServeControlSocket(t *testing.T) {
	srv := startServer(t)
	sock := control.Path(srv.state)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %s: mode %v, want a socket with 0600", sock, fi.Mode())
	}
	if !strings.Contains(srv.stdout.String(), "control:       "+sock) {
		t.Errorf("the banner does not name the control socket:\n%s", srv.stdout)
	}

	code, out, errOut := jabberdCmd(t, "carol-pw\n", "users", "-state", srv.state, "add", "carol")
	if code != 0 || out != "added carol\n" {
		t.Fatalf("users add while running: exit %d, %q, %q", code, out, errOut)
	}
	dialTLS(t, srv.addr, certRoots(t, srv.state)).login("carol", "carol-pw", "r")

	code, _, errOut = jabberdCmd(t, "x\n", "users", "-state", srv.state, "passwd", "alice")
	if code != 1 || !strings.Contains(errOut, `the account "alice" is managed by the configuration`) || !strings.Contains(errOut, "embedded default") {
		t.Errorf("passwd of a configured account: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = jabberdCmd(t, "", "users", "-state", srv.state, "del", "bob")
	if code != 1 || !strings.Contains(errOut, `the account "bob" is managed by the configuration`) {
		t.Errorf("del of a configured account: exit %d, stderr %q", code, errOut)
	}
	code, out, _ = jabberdCmd(t, "carol-pw2\n", "users", "-state", srv.state, "passwd", "carol")
	if code != 0 || out != "changed the password of carol\n" {
		t.Errorf("passwd carol: exit %d, %q", code, out)
	}
	dialTLS(t, srv.addr, certRoots(t, srv.state)).login("carol", "carol-pw2", "r2")

	code, out, _ = jabberdCmd(t, "", "users", "-state", srv.state, "list")
	if code != 0 || out != "alice\nbob\ncarol\n" {
		t.Errorf("users list: exit %d, %q", code, out)
	}

	code, out, errOut = jabberdCmd(t, "", "status", "-state", srv.state)
	if code != 0 {
		t.Fatalf("status: exit %d, %s", code, errOut)
	}
	for _, want := range []string{"jabberd 0.1.0", "running:       pid", "(up ", "listening:     xmpp " + srv.addr + " (tls = optional)",
		"sessions:      2 bound", "accounts:      3 (2 managed by the configuration)", "certificates:  server", "lab_ca", "expires 20"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = jabberdCmd(t, "", "status", "-json", "-state", srv.state)
	if code != 0 || !strings.Contains(out, `"sessions": 2`) || !strings.Contains(out, `"not_after"`) {
		t.Errorf("status -json: exit %d\n%s", code, out)
	}
	code, out, _ = jabberdCmd(t, "", "reload", "-state", srv.state)
	if code != 0 || !strings.HasPrefix(out, "reloaded: ") {
		t.Errorf("reload: exit %d, %q", code, out)
	}
	waitFor(t, "log", srv.stderr.String, `control: request handled command=users.add name=carol`)
	if strings.Contains(srv.stderr.String(), "carol-pw") {
		t.Error("a password reached the log")
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-srv.done; err != nil {
		t.Fatalf("exit: %v", err)
	}
	srv.done <- nil
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket outlived the server: %v", err)
	}
	code, _, errOut = jabberdCmd(t, "", "status", "-state", srv.state)
	if code != 3 || !strings.Contains(errOut, "no jabberd is running") {
		t.Errorf("status with no server: exit %d, %q", code, errOut)
	}
	code, out, _ = jabberdCmd(t, "", "users", "-state", srv.state, "list")
	if code != 0 || out != "alice\nbob\ncarol\n" {
		t.Errorf("users list with no server: exit %d, %q", code, out)
	}
}

// TestServeNotify runs the binary under a stand-in for systemd: READY=1
// once it listens, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 at
// SIGTERM.
func TestServeNotify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	l, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	next := func() string {
		t.Helper()
		buf := make([]byte, 1024)
		_ = l.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := l.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
	state := t.TempDir()
	srv := startBinary(t, state, []string{"NOTIFY_SOCKET=" + path}, "-listen", "127.0.0.1:0", "-state", state)
	if got := next(); !strings.HasPrefix(got, "READY=1\nSTATUS=serving localhost") {
		t.Errorf("first notification %q", got)
	}
	if _, err := net.Dial("tcp", srv.addr); err != nil {
		t.Errorf("READY=1 before the listener accepts: %v", err)
	}
	_ = srv.cmd.Process.Signal(syscall.SIGHUP)
	if got := next(); !strings.HasPrefix(got, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("at SIGHUP: %q", got)
	}
	if got := next(); !strings.HasPrefix(got, "READY=1") {
		t.Errorf("after the reload: %q", got)
	}
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	if got := next(); got != "STOPPING=1" {
		t.Errorf("at SIGTERM: %q", got)
	}
}
