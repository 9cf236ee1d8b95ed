package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"jabberd/certs"
)

// runCertsT runs `jabberd certs args...` and returns exit code, stdout
// and stderr.
func runCertsT(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runCerts(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunCertsCAClientShow(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")

	code, out, errOut := runCertsT(t, "ca", "-out", caDir, "-cn", "Test Lab CA")
	if code != 0 {
		t.Fatalf("ca: exit %d, stderr %q", code, errOut)
	}
	for _, f := range []string{"ca.crt", "ca.key"} {
		if !strings.Contains(out, "wrote "+filepath.Join(caDir, f)) {
			t.Errorf("ca output does not mention %s:\n%s", f, out)
		}
	}

	prefix := filepath.Join(dir, "clients", "alice")
	code, out, errOut = runCertsT(t, "client", "-ca", caDir, "-out", prefix, "alice@example.org")
	if code != 0 {
		t.Fatalf("client: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "wrote "+prefix+".crt") || !strings.Contains(out, "wrote "+prefix+".key") {
		t.Errorf("client output:\n%s", out)
	}
	if fi, err := os.Stat(prefix + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi.Mode(), err)
	}

	// The files are a real pair that verifies against the CA.
	ca, err := certs.Load(filepath.Join(caDir, "ca.crt"), filepath.Join(caDir, "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := certs.Load(prefix+".crt", prefix+".key")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Errorf("client cert not signed by CA: %v", err)
	}

	code, out, errOut = runCertsT(t, "show", prefix+".crt", filepath.Join(caDir, "ca.crt"))
	if code != 0 {
		t.Fatalf("show: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		prefix + ".crt:",
		"subject:    CN=alice@example.org",
		"issuer:     CN=Test Lab CA,O=jabberd lab",
		"xmppAddr:   alice@example.org",
		"email:      alice@example.org",
		"key:        ECDSA P-256",
		"ext usage:  clientAuth",
		"CA:         yes (max path length 0)",
		"days left",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunCertsServer(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCertsT(t, "ca", "-out", dir); code != 0 {
		t.Fatalf("ca: %s", errOut)
	}
	prefix := filepath.Join(dir, "server")
	code, out, errOut := runCertsT(t, "server", "-ca", dir, "-out", prefix, "-key", "rsa", "example.org", "localhost", "127.0.0.1", "::1")
	if code != 0 {
		t.Fatalf("server: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "names: example.org, localhost, 127.0.0.1, ::1") {
		t.Errorf("server output:\n%s", out)
	}
	code, out, _ = runCertsT(t, "show", prefix+".crt")
	for _, want := range []string{"DNS:        localhost", "IP:         ::1", "key:        RSA 2048", "ext usage:  serverAuth", "keyEncipherment"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	// Bad names are usage errors, caught before any key is generated.
	code, _, errOut = runCertsT(t, "server", "-ca", dir, "-out", filepath.Join(dir, "bad"), "example.org:5222")
	if code != 2 || !strings.Contains(errOut, "example.org:5222") {
		t.Errorf("bad name: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.key")); err == nil {
		t.Error("a key was written for a rejected name")
	}
}

func TestRunCertsOverwrite(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCertsT(t, "ca", "-out", dir); code != 0 {
		t.Fatalf("ca: %s", errOut)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))

	code, _, errOut := runCertsT(t, "ca", "-out", dir)
	if code != 1 || !strings.Contains(errOut, filepath.Join(dir, "ca.crt")+" already exists") || !strings.Contains(errOut, "-force") {
		t.Errorf("second ca: exit %d, stderr %q", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); !bytes.Equal(before, after) {
		t.Error("ca.crt was overwritten without -force")
	}

	if code, _, errOut := runCertsT(t, "ca", "-out", dir, "-force"); code != 0 {
		t.Errorf("ca -force: exit %d, stderr %q", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "ca.crt")); bytes.Equal(before, after) {
		t.Error("ca -force did not replace ca.crt")
	}

	// The same protection for client files.
	prefix := filepath.Join(dir, "alice")
	if code, _, errOut := runCertsT(t, "client", "-ca", dir, "-out", prefix, "alice@example.org"); code != 0 {
		t.Fatalf("client: %s", errOut)
	}
	if code, _, errOut := runCertsT(t, "client", "-ca", dir, "-out", prefix, "alice@example.org"); code != 1 || !strings.Contains(errOut, prefix+".crt already exists") {
		t.Errorf("second client: exit %d, stderr %q", code, errOut)
	}
}

func TestRunCertsBadJID(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCertsT(t, "ca", "-out", dir); code != 0 {
		t.Fatalf("ca: %s", errOut)
	}
	for _, tt := range []struct {
		jid, want string
	}{
		{"alice", `JID "alice" is not of the form local@domain`},
		{"alice@example.org/phone", `JID "alice@example.org/phone" has a resource`},
		{"@example.org", "not of the form local@domain"},
		{"a@b@c", "more than one '@'"},
	} {
		prefix := filepath.Join(dir, "x")
		code, out, errOut := runCertsT(t, "client", "-ca", dir, "-out", prefix, tt.jid)
		if code != 2 || !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "usage: jabberd certs client") {
			t.Errorf("client %q: exit %d, stdout %q, stderr %q", tt.jid, code, out, errOut)
		}
		if _, err := os.Stat(prefix + ".key"); err == nil {
			t.Errorf("client %q wrote a key", tt.jid)
		}
	}
	// No JID, two JIDs, flags after the JID.
	for _, args := range [][]string{
		{"client", "-ca", dir, "-out", filepath.Join(dir, "x")},
		{"client", "-ca", dir, "-out", filepath.Join(dir, "x"), "a@b", "c@d"},
		{"client", "-ca", dir, "a@b", "-out", filepath.Join(dir, "x")},
	} {
		if code, _, errOut := runCertsT(t, args...); code != 2 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if _, _, errOut := runCertsT(t, "client", "-ca", dir, "-out", filepath.Join(dir, "x"), "a@b", "-key", "rsa"); !strings.Contains(errOut, "flags must come before") {
		t.Errorf("no hint about flag order: %q", errOut)
	}
}

func TestRunCertsUsageAndErrors(t *testing.T) {
	dir := t.TempDir()
	missingCA := filepath.Join(dir, "nope")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no command", nil, 2, "usage: jabberd certs <command>"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"help"}, 0, "commands:"},
		{"subcommand -h", []string{"ca", "-h"}, 0, "usage: jabberd certs ca"},
		{"unknown flag", []string{"ca", "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{"ca without -out", []string{"ca"}, 2, "-out DIR is required"},
		{"bad key type", []string{"ca", "-out", dir, "-key", "dsa"}, 2, `unknown key type "dsa"`},
		{"negative days", []string{"ca", "-out", dir, "-days", "-1"}, 2, "-days -1 out of range"},
		{"server without names", []string{"server", "-ca", dir, "-out", filepath.Join(dir, "s")}, 2, "at least one NAME"},
		{"server without -ca", []string{"server", "-out", filepath.Join(dir, "s"), "x.org"}, 2, "-ca DIR is required"},
		{"out with extension", []string{"client", "-ca", dir, "-out", filepath.Join(dir, "a.crt"), "a@b"}, 2, "give a prefix"},
		{"missing CA", []string{"client", "-ca", missingCA, "-out", filepath.Join(dir, "a"), "a@b"}, 1,
			"read certificate " + filepath.Join(missingCA, "ca.crt") + ": no such file or directory"},
		{"show nothing", []string{"show"}, 2, "at least one FILE"},
		{"show missing", []string{"show", filepath.Join(dir, "missing.crt")}, 1,
			"read certificate " + filepath.Join(dir, "missing.crt") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCertsT(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tt.code, errOut, tt.want)
			}
		})
	}
}

// show must surface the identity of the shapes the server's SASL
// EXTERNAL code will see, including the critical otherName-only one
// that crypto/x509 cannot read.
func TestRunCertsShowShapes(t *testing.T) {
	dir := t.TempDir()
	ca, err := certs.NewCA("CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := certs.IssueClientWith(ca, "bob@example.org", certs.ClientOptions{
		CriticalSAN: true, OnlyOtherName: true, ExtraXMPPAddrs: []string{"bob@example.net"},
	})
	if err != nil {
		t.Fatal(err)
	}
	crt := filepath.Join(dir, "bob.crt")
	if err := p.Save(crt, filepath.Join(dir, "bob.key")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCertsT(t, "show", crt, filepath.Join(dir, "bob.key"))
	if code != 1 || !strings.Contains(errOut, "bob.key: no PEM CERTIFICATE block") {
		t.Errorf("show with a key file: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"xmppAddr:   bob@example.org\n", "xmppAddr:   bob@example.net\n", "SAN:        critical", "subject:    \n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "email:") {
		t.Errorf("show invented an email SAN:\n%s", out)
	}
}
