package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"jabberd/certs"
)

// writeServerCert issues a server certificate for localhost from a CA of
// its own and writes it to crt and key.
func writeServerCert(t *testing.T, crt, key string) *certs.Pair {
	t.Helper()
	ca, err := certs.NewCA("reload test CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := certs.IssueServer(ca, []string{"localhost", "127.0.0.1"}, certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Save(crt, key); err != nil {
		t.Fatal(err)
	}
	return p
}

// reloadConfig is the test's configuration file.
func reloadConfig(state, crt, key, listen, level string, users ...string) string {
	s := fmt.Sprintf("state_dir = %q\n[limits]\nshutdown_grace = \"1s\"\n[[listen]]\naddress = %q\n[tls]\ncert = %q\nkey = %q\n[log]\nlevel = %q\n", state, listen, crt, key, level)
	for _, u := range users {
		name, pw, _ := strings.Cut(u, ":")
		s += fmt.Sprintf("[[user]]\nname = %q\npassword = %q\n", name, pw)
	}
	return s
}

// TestServeSIGHUPReload runs the binary and reloads it with SIGHUP: an
// open session goes on, the next handshake presents the new certificate,
// a changed password and a new account apply at once, the log level
// changes, a changed listen address is named as needing a restart, and a
// broken file changes nothing.
func TestServeSIGHUPReload(t *testing.T) {
	dir := t.TempDir()
	state, crt, key, cfgFile := filepath.Join(dir, "state"), filepath.Join(dir, "srv.crt"), filepath.Join(dir, "srv.key"), filepath.Join(dir, "jabberd.toml")
	first := writeServerCert(t, crt, key)
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadConfig(state, crt, key, "127.0.0.1:0", "info", "alice:pw1"))
	srv := startBinary(t, state, nil, "-config", cfgFile)

	s1 := dialTLS(t, srv.addr, nil)
	if !s1.cert.Equal(first.Cert) {
		t.Fatal("the first handshake did not present the configured certificate")
	}
	s1.login("alice", "pw1", "one")
	s1.ping("p1")

	// New certificate in the same files, alice's password changed, dave
	// added, debug logging, another listen address.
	second := writeServerCert(t, crt, key)
	write(reloadConfig(state, crt, key, "127.0.0.1:1", "debug", "alice:pw2", "dave:dave-pw"))
	before := len(srv.stderr.String())
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	after := func() string { return srv.stderr.String()[before:] }
	waitFor(t, "log after SIGHUP", after, `configuration reloaded`)
	for _, want := range []string{
		"SIGHUP: reloading the configuration",
		`need a restart to apply`, `keys=["listen"]`,
		`passwords set from the configuration users=["alice"]`,
		`accounts created from the configuration users=["dave"]`,
		`applied=["log.level","user"]`,
		"server certificate in force for new handshakes",
	} {
		if !strings.Contains(after(), want) {
			t.Errorf("the log after SIGHUP lacks %q:\n%s", want, after())
		}
	}
	if _, err := os.Stat(filepath.Join(state, "clients", "dave.crt")); err != nil {
		t.Errorf("no client certificate for the new account: %v", err)
	}

	// The session from before the reload goes on, now logged at debug.
	s1.ping("p2")
	waitFor(t, "debug log", after, `DBG`)

	// The next handshake presents the new certificate; the new password
	// and the new account work, the old password does not.
	s2 := dialTLS(t, srv.addr, nil)
	if !s2.cert.Equal(second.Cert) {
		t.Fatal("the handshake after SIGHUP did not present the new certificate")
	}
	if s2.plain("alice", "pw1") {
		t.Error("alice's old password still works after the reload")
	}
	dialTLS(t, srv.addr, nil).login("alice", "pw2", "two")
	dialTLS(t, srv.addr, nil).login("dave", "dave-pw", "d")

	// A broken file: the reload fails, nothing changes, the server runs.
	write("[limits]\nmax_stanza_byts = 1\n")
	before = len(srv.stderr.String())
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "log after a bad SIGHUP", after, `reload failed: the running configuration is unchanged.*unknown key limits.max_stanza_byts`)
	s1.ping("p3")
	if s3 := dialTLS(t, srv.addr, nil); !s3.cert.Equal(second.Cert) {
		t.Error("a failed reload changed the certificate")
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
		srv.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}
