package interop

// go-sendxmpp (Debian package go-sendxmpp, 0.5.6, built on go-xmpp) sends a
// message from bob to alice while slixmpp, logged in as alice, receives it.
//
// Flags: -u bob@localhost -p PASSWORD -j 127.0.0.1:PORT, the recipient as
// the argument and the message on stdin. Without -t it connects in
// plaintext and upgrades with STARTTLS; -t is direct TLS (XEP-0368). It has
// no option for a CA file: besides -n/--no-tls-verify (which we never use)
// its only trust store is Go's system roots, which crypto/x509 reads from
// the file named by SSL_CERT_FILE. So the test sets SSL_CERT_FILE to the lab
// CA and verification stays on (TestGoSendxmppDirectTLS checks that an
// untrusted CA is refused). HOME is a temporary directory so that no
// ~/.config/go-sendxmpp/sendxmpprc of the machine is read.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type sendxmppCase struct {
	direct bool // -t, to the direct-TLS listener
}

// sendToAlice starts slixmpp as alice, waits until she is online, runs
// go-sendxmpp as bob and returns both runs and the body sent.
func sendToAlice(t *testing.T, j *jabberd, c sendxmppCase) (recv, send *run, body string) {
	t.Helper()
	bin := needClient(t, "go-sendxmpp", "go-sendxmpp")
	recv = startReceiver(t, j, "alice")

	target := j.addr
	if c.direct {
		target = j.direct
	}
	body = "hello alice, from bob over go-sendxmpp"
	if c.direct {
		body += " (direct TLS)"
	}
	args := []string{bin, "-u", "bob@localhost", "-p", password("bob"), "-j", target}
	if c.direct {
		args = append(args, "-t")
	}
	args = append(args, "alice@localhost")
	send = runClient(t, runOptions{stdin: body + "\n", env: []string{"HOME=" + t.TempDir(), "SSL_CERT_FILE=" + j.caFile()}}, args...)
	if send.exitCode() != 0 {
		recv.cancel()
		recv.wait()
		why := ""
		for _, e := range j.entries(fields{"message": "TLS upgrade failed"}) {
			why += fmt.Sprintf("\nserver: TLS upgrade failed with %v byte(s) buffered after <starttls/>: %s", e["early_bytes"], e.Str("error"))
			if e["early_bytes"] != float64(0) {
				why += "\n  go-xmpp writes \"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\\n\" in one write; " +
					"jabberd must drop that newline (XML whitespace) before the ClientHello instead of handing it to crypto/tls."
			}
		}
		t.Fatalf("go-sendxmpp failed (exit %d):%s\n%s\nreceiver:\n%s", send.exitCode(), why, send, recv)
	}
	recv.wait()
	return recv, send, body
}

// assertAliceGot checks that alice's slixmpp got exactly body from bob.
func assertAliceGot(t *testing.T, recv *run, body string) {
	t.Helper()
	assertGotMessage(t, recv, "alice", "bob@localhost", body)
}

// assertBobLoggedIn checks the server's view of go-sendxmpp's connection.
func assertBobLoggedIn(t *testing.T, j *jabberd) logEntry {
	t.Helper()
	auth := j.waitLog(t, 1, fields{"message": "authenticated", "jid": "bob@localhost"})[0]
	if m := auth.Str("mechanism"); m != "PLAIN" {
		t.Errorf("server log: go-sendxmpp authenticated with %s, want PLAIN (the only password mechanism go-xmpp has): %s", m, auth)
	}
	conn := auth.Str("conn")
	tlsUp := j.entries(fields{"message": "TLS established", "conn": conn})
	if len(tlsUp) != 1 {
		t.Fatalf("server log: %d \"TLS established\" on bob's connection %s, want 1", len(tlsUp), conn)
	}
	if sni := tlsUp[0].Str("sni"); sni != "localhost" {
		t.Errorf("server log: sni = %q, want localhost: %s", sni, tlsUp[0])
	}
	j.waitLog(t, 1, fields{"message": "session bound", "conn": conn})
	return tlsUp[0]
}

// TestGoSendxmppStartTLS: go-sendxmpp's default, STARTTLS on the plain port.
//
// go-xmpp writes "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n" in
// one write, so a newline stands between the request and its ClientHello.
// RFC 6120 §5.3.3 says an entity MUST NOT send whitespace from the end of
// <starttls/> to the end of <proceed/>, but it is XML whitespace in the old
// stream, and a server whose parser reads the whole chunk consumes it as such. jabberd drops XML whitespace before the
// handshake and logs how much in the "TLS established" line
// (whitespace_skipped); early_bytes counts what its tokenizer had buffered
// past the request, the newline included when it came in the same read.
// Handed to crypto/tls, that newline made the handshake fail at once (a
// record header that is not TLS) and go-sendxmpp exit with an error.
func TestGoSendxmppStartTLS(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	recv, _, body := sendToAlice(t, j, sendxmppCase{})
	assertAliceGot(t, recv, body)
	tlsUp := assertBobLoggedIn(t, j)
	if ws := tlsUp["whitespace_skipped"]; ws != float64(1) {
		t.Errorf("server log: whitespace_skipped = %v, want 1 (go-xmpp's newline after <starttls/>): %s", ws, tlsUp)
	}
	t.Logf("server log: early_bytes = %v, whitespace_skipped = %v", tlsUp["early_bytes"], tlsUp["whitespace_skipped"])
}

// TestGoSendxmppDirectTLS: -t to the direct-TLS listener; first with a trust
// store that lacks the lab CA, which must fail, then with it.
func TestGoSendxmppDirectTLS(t *testing.T) {
	t.Parallel()
	bin := needClient(t, "go-sendxmpp", "go-sendxmpp")
	j := startJabberd(t, serverOptions{direct: true})

	empty := filepath.Join(t.TempDir(), "no-ca.pem")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	untrusted := runClient(t, runOptions{stdin: "must not arrive\n", env: []string{"HOME=" + t.TempDir(), "SSL_CERT_FILE=" + empty, "SSL_CERT_DIR=" + t.TempDir()}},
		bin, "-t", "-u", "bob@localhost", "-p", password("bob"), "-j", j.direct, "alice@localhost")
	if untrusted.exitCode() == 0 || !strings.Contains(untrusted.stderr.String()+untrusted.stdout.String(), "certificate signed by unknown authority") {
		t.Fatalf("go-sendxmpp without the lab CA did not refuse the server certificate:\n%s", untrusted)
	}
	if got := j.entries(fields{"message": "authenticated"}); len(got) > 0 {
		t.Fatalf("server log: a login happened over an unverified connection: %v", got)
	}

	recv, _, body := sendToAlice(t, j, sendxmppCase{direct: true})
	assertAliceGot(t, recv, body)
	tlsUp := assertBobLoggedIn(t, j)
	conn := tlsUp.Str("conn")
	connected := j.entries(fields{"message": "connected", "conn": conn})
	if len(connected) != 1 || connected[0].Str("local") != j.direct {
		t.Errorf("server log: bob's connection %s did not arrive on the direct-TLS listener %s: %v", conn, j.direct, connected)
	}
	opened := j.entries(fields{"message": "stream opened", "conn": conn})
	for _, e := range opened {
		if e.Str("phase") != "tls" || e.Str("dialect") != "rfc6120" {
			t.Errorf("server log: on direct TLS every stream must open in phase tls, dialect rfc6120: %s", e)
		}
	}
}
