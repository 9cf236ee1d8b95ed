package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeIRCAndSIGTERM runs the binary with [irc] enabled: the banner
// names the IRC listener, a client registers on it, and SIGTERM ends its
// connection with ERROR before the process exits 0.
func TestServeIRCAndSIGTERM(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "jabberd.toml")
	cfg := "state_dir = \"" + filepath.Join(dir, "state") + "\"\n[[listen]]\naddress = \"127.0.0.1:0\"\n" +
		"[irc]\nenabled = true\naddress = \"127.0.0.1:0\"\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgPath)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`^\s+irc:\s+(\S+) \(tls = optional\)$`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		done <- cmd.Wait()
	}()
	var ircAddr string
	select {
	case ircAddr = <-addr:
	case <-time.After(20 * time.Second):
		t.Fatalf("no irc line in the banner; stderr:\n%s", stderr)
	}

	c, err := net.Dial("tcp", ircAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("NICK alice\r\nUSER alice 0 * :Alice\r\n")); err != nil {
		t.Fatal(err)
	}
	readAll(t, c, ":localhost 001 alice ")
	readAll(t, c, "*** Your connection is not encrypted\r\n")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, _ := bufio.NewReader(c).ReadString(0)
	if want := "ERROR :Closing link: 127.0.0.1 (Server shutting down)\r\n"; rest != want {
		t.Fatalf("after SIGTERM the IRC client got %q, want %q", rest, want)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr)
		}
		done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("jabberd did not exit after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "proto=irc") {
		t.Errorf("the log has no IRC entries:\n%s", stderr)
	}
}
