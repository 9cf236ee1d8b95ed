package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"jabberd/lab"
)

// binary builds jabberd once per test run.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "jabberd-bin")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "jabberd")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{string(out)}
	}
	return path, nil
})

type buildError struct{ out string }

func (e *buildError) Error() string { return "go build: " + e.out }

// syncBuffer is a bytes.Buffer safe for the process's writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	cmd    *exec.Cmd
	addr   string
	state  string
	stdout *syncBuffer // the banner
	stderr *syncBuffer
	done   chan error
}

// startServer runs the real binary on a free loopback port and reads the
// bound address from its banner.
func startServer(t *testing.T, args ...string) *running {
	t.Helper()
	state := t.TempDir()
	return startBinary(t, state, nil, append([]string{"-listen", "127.0.0.1:0", "-state", state}, args...)...)
}

// startBinary runs the real binary with args (and env added to the
// test's), in a directory of its own, and waits for its banner; state is
// its state directory, for the test.
func startBinary(t *testing.T, state string, env []string, args ...string) *running {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, state: state, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.done
	})
	banner := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`listening:\s+(\S+)`)
		sent := false
		for sc.Scan() {
			r.stdout.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				banner <- m[1]
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		r.done <- cmd.Wait()
	}()
	select {
	case r.addr = <-banner:
	case <-time.After(20 * time.Second):
		t.Fatalf("no banner from jabberd; stderr:\n%s", r.stderr)
	}
	// The rest of the banner is written at once; the lab lines are last.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(r.stdout.String(), "\nlab: ") && !strings.Contains(r.stdout.String(), "try it:") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return r
}

func readAll(t *testing.T, c net.Conn, want string) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b bytes.Buffer
	one := make([]byte, 1)
	for !strings.Contains(b.String(), want) {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("waiting for %q, got %q: %v", want, b.String(), err)
		}
		b.Write(one)
	}
	return b.String()
}

const legacyHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt' to='localhost'>"

// TestServeLegacyUpgradeAndSIGTERM runs the binary: a legacy upgrade over
// real TLS verified against the generated lab CA, then SIGTERM ends the
// open stream with system-shutdown and the process exits 0.
func TestServeLegacyUpgradeAndSIGTERM(t *testing.T) {
	srv := startServer(t)
	for _, f := range []string{"ca.crt", "ca.key", "server.crt", "server.key", "clients/alice.crt", "clients/alice.key", "clients/bob.crt"} {
		if _, err := os.Stat(filepath.Join(srv.state, f)); err != nil {
			t.Errorf("state directory: %v", err)
		}
	}
	pem, err := os.ReadFile(filepath.Join(srv.state, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)

	c, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, legacyHeader)
	got := readAll(t, c, ">")
	if !strings.Contains(got, "xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'") {
		t.Fatalf("header does not offer STARTTLS: %q", got)
	}
	_, _ = io.WriteString(c, "<tls:starttls/>")
	if got := readAll(t, c, "</stream:stream>"); got != "</stream:stream>" {
		t.Fatalf("answer to starttls: %q", got)
	}
	tc := tls.Client(c, &tls.Config{ServerName: "localhost", RootCAs: roots})
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake against the lab CA: %v", err)
	}
	_, _ = io.WriteString(tc, strings.Replace(legacyHeader, " xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'", "", 1))
	hdr := readAll(t, tc, ">")
	if strings.Contains(hdr, "rfc2595") || !strings.HasPrefix(hdr, "<stream:stream ") {
		t.Fatalf("header over TLS: %q", hdr)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, _ := io.ReadAll(tc)
	want := "<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>the server is shutting down</text></stream:error></stream:stream>"
	if string(rest) != want {
		t.Fatalf("after SIGTERM the client got %q, want %q", rest, want)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, srv.stderr)
		}
		srv.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("jabberd did not exit after SIGTERM")
	}
	log := srv.stderr.String()
	for _, w := range []string{"dialect=legacy", `version="TLS 1.3"`, "signal=terminated", "reason=\"system-shutdown: the server is shutting down\"", "stopped"} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}

// TestServeOpenSSL drives `openssl s_client -starttls xmpp` (RFC 6120) with
// alice's generated client certificate.
func TestServeOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("JABBERD_REQUIRE_CLIENTS") != "" {
			t.Fatal("openssl is not installed but JABBERD_REQUIRE_CLIENTS is set")
		}
		t.Skip("openssl not installed")
	}
	srv := startServer(t)
	cmd := exec.Command(openssl, "s_client", "-starttls", "xmpp", "-xmpphost", "localhost",
		"-connect", srv.addr, "-verify_return_error",
		"-CAfile", filepath.Join(srv.state, "ca.crt"),
		"-cert", filepath.Join(srv.state, "clients", "alice.crt"),
		"-key", filepath.Join(srv.state, "clients", "alice.key"))
	cmd.Stdin = strings.NewReader("Q\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl s_client: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Verification: OK") && !strings.Contains(string(out), "Verify return code: 0 (ok)") {
		t.Fatalf("openssl did not verify the server:\n%s", out)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(srv.stderr.String(), "client_cert_verified=true") {
		if time.Now().After(deadline) {
			t.Fatalf("server log lacks the verified client certificate:\n%s", srv.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if log := srv.stderr.String(); !strings.Contains(log, "client_cert=CN=alice@localhost") || !strings.Contains(log, "dialect=rfc6120") {
		t.Fatalf("server log:\n%s", log)
	}
}

// TestServeBadConfig: an unknown key stops the start-up, naming the key.
func TestServeBadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(path, []byte("domain = 'x.org'\n[limits]\nmax_stanza_byts = 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run([]string{"-config", path}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "unknown key limits.max_stanza_byts") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
	// A lab profile name is the lab's to check; the error still names the file and the key.
	if err := os.WriteFile(path, []byte("[[listen]]\naddress = ':1'\nprofile = 'nonsense'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	code = run([]string{"-config", path}, &out, &errOut)
	if want := "jabberd: " + path + ": listen[0].profile: unknown lab profile \"nonsense\""; code != 1 || !strings.HasPrefix(errOut.String(), want) {
		t.Fatalf("exit %d, stderr %q, want it to start with %q", code, errOut.String(), want)
	}
	errOut.Reset()
	code = run([]string{"-user", "nopassword"}, &out, &errOut)
	if code != 2 || !strings.Contains(errOut.String(), "want NAME:PASSWORD") {
		t.Fatalf("bad -user: exit %d, stderr %q", code, errOut.String())
	}
}

// TestProfilesCommand: `jabberd profiles` lists every profile on one line
// with its protocols; -v adds what a correct client does.
func TestProfilesCommand(t *testing.T) {
	var out, errb strings.Builder
	if code := run([]string{"profiles"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var lines []string
	categories := 0
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if strings.HasPrefix(l, "# ") {
			categories++ // a category heading
			continue
		}
		lines = append(lines, l)
	}
	if categories != len(lab.Categories()) {
		t.Errorf("%d category headings, want %d:\n%s", categories, len(lab.Categories()), out.String())
	}
	if len(lines) != len(lab.Profiles()) {
		t.Fatalf("%d lines for %d profiles:\n%s", len(lines), len(lab.Profiles()), out.String())
	}
	for i, p := range lab.Profiles() {
		if f := strings.Fields(lines[i]); len(f) < 3 || f[0] != p.Name {
			t.Errorf("line %d = %q, want the profile %s first", i, lines[i], p.Name)
		}
	}
	if f := strings.Fields(lines[0]); len(f) < 2 || f[1] != "xmpp,irc" {
		t.Errorf("strip-starttls does not say it applies to IRC: %q", lines[0])
	}
	out.Reset()
	if code := run([]string{"profiles", "-v"}, &out, &errb); code != 0 {
		t.Fatalf("-v: exit %d", code)
	}
	if !strings.Contains(out.String(), "correct client: ") || !strings.Contains(out.String(), "aborted-on-strip") {
		t.Errorf("-v lacks the correct behaviour or the flags:\n%s", out.String())
	}
	// With a configuration that opens per-profile ports, each profile
	// lists its own.
	cfgFile := filepath.Join(t.TempDir(), "jabberd.toml")
	if err := os.WriteFile(cfgFile, []byte("[[listen]]\naddress = \"127.0.0.1:5222\"\n[irc]\nenabled = true\n[lab]\nprofile_ports = 5300\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"profiles", "-config", cfgFile}, &out, &errb); code != 0 {
		t.Fatalf("-config: exit %d: %s", code, errb.String())
	}
	if first := strings.Split(out.String(), "\n")[1]; !strings.Contains(first, "xmpp 127.0.0.1:5300 irc 127.0.0.1:5400") {
		t.Errorf("-config: strip-starttls's line lacks its ports: %q", first)
	}
	if code := run([]string{"profiles", "extra"}, &out, &errb); code != 2 {
		t.Errorf("an extra argument: exit %d, want 2", code)
	}
}
