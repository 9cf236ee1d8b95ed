package main

import (
	"bufio"
	"crypto/tls"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeIRCDirectTLSBanner: with [irc] tls_address and an sts policy
// the banner names the direct-TLS listener and the policy, and a TLS
// client reaches the IRC server there.
func TestServeIRCDirectTLSBanner(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "jabberd.toml")
	cfg := "state_dir = \"" + filepath.Join(dir, "state") + "\"\n[[listen]]\naddress = \"127.0.0.1:0\"\n" +
		"[irc]\nenabled = true\naddress = \"127.0.0.1:0\"\ntls_address = \"127.0.0.1:0\"\nsts_port = 6697\nsts_duration = \"10m\"\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-config", cfgPath)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &syncBuffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait()
	}()
	tlsLine := regexp.MustCompile(`^\s+irc over TLS:\s+(\S+) \(direct TLS, RFC 7194\)$`)
	var addr, sts, try string
	deadline := time.After(30 * time.Second)
	for addr == "" || sts == "" || try == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the banner ended without the direct-TLS listener, its sts policy and how to try it (%q %q %q)", addr, sts, try)
			}
			if m := tlsLine.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
			if strings.HasPrefix(strings.TrimSpace(l), "irc sts:") {
				sts = l
			}
			if strings.Contains(l, "openssl s_client -connect localhost:") {
				try = l
			}
		case <-deadline:
			t.Fatal("no banner after 30s")
		}
	}
	if !strings.Contains(sts, "sts=port=6697 in plaintext, sts=duration=600 over TLS") {
		t.Errorf("sts line %q", sts)
	}
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS to the banner's address %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("CAP LS 302\r\n")); err != nil {
		t.Fatal(err)
	}
	l, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.Contains(l, " sts=duration=600") || strings.Contains(l, " tls") {
		t.Errorf("CAP LS over direct TLS: %q, %v", l, err)
	}
}
