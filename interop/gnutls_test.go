package interop

// gnutls-cli (Debian package gnutls-bin) with --starttls-proto=xmpp.
//
// Flags: --x509cafile trusts the lab CA and nothing else; the host argument
// "localhost" is both what it connects to and the name it verifies (no
// --insecure, no --no-ca-verification, so a chain or name that does not
// verify ends the program with "*** handshake has failed"). Stdin is empty:
// gnutls-cli finishes the handshake, reads EOF from stdin, sends close_notify
// and exits 0 by itself.
//
// gnutls-cli's XMPP STARTTLS (src/socket.c, socket_starttls) sends its
// header, then waits for the server's answer to begin with "<?" — the XML
// declaration — before it sends <starttls/>; after 10 s without it, it
// exits 2 with "error receiving '<?': Timeout". jabberd therefore starts
// every RFC 6120 stream header with "<?xml version='1.0'?>" (RFC 6120
// §11.5: an entity SHOULD send the declaration); TestGnuTLSStartTLS checks
// that these are the first bytes of the server's answer. Without them this
// test fails after 10 s with that error.

import (
	"strings"
	"testing"
)

func gnutlsStartTLS(t *testing.T, j *jabberd, port string) *run {
	t.Helper()
	bin := needClient(t, "gnutls-cli", "gnutls-bin")
	return runClient(t, runOptions{stdin: ""}, bin,
		"--starttls-proto=xmpp", "--x509cafile", j.caFile(), "-p", port, "localhost")
}

func assertGnuTLSVerified(t *testing.T, r *run) {
	t.Helper()
	out := r.stdout.String() + r.stderr.String()
	if r.exitCode() != 0 {
		why := ""
		if strings.Contains(out, "error receiving '<?'") {
			why = "\ngnutls-cli waited for the server's answer to start with the XML declaration \"<?xml version='1.0'?>\" " +
				"and it did not (RFC 6120 §11.5: an entity SHOULD send it); gnutls-cli gave up before sending <starttls/>."
		}
		t.Fatalf("gnutls-cli exited %d:%s\n%s", r.exitCode(), why, r)
	}
	var missing []string
	for _, want := range []string{
		"- Status: The certificate is trusted.",
		"- Handshake was completed",
	} {
		if !strings.Contains(out, want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		t.Errorf("gnutls-cli output lacks %q:\n%s", missing, r)
	}
}

func TestGnuTLSStartTLS(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	r := gnutlsStartTLS(t, j, portOf(j.addr))
	assertGnuTLSVerified(t, r)
	tlsUp := assertRFC6120Upgrade(t, j)
	if sni := tlsUp.Str("sni"); sni != "localhost" {
		t.Errorf("server log: sni = %q, want localhost: %s", sni, tlsUp)
	}

	// What gnutls-cli waited for: the server's first bytes on the
	// connection, as its debug log shows them.
	if !j.debug {
		t.Log("server log is not at debug level: no \"sent\" entries, the first bytes are not checked")
		return
	}
	const decl = "<?xml version='1.0'?>"
	sent := j.entries(fields{"message": "sent", "conn": tlsUp.Str("conn")})
	if len(sent) == 0 {
		t.Fatalf("server log: no \"sent\" entry on %s although the log is at debug level", tlsUp.Str("conn"))
	}
	if first := sent[0]; first.Str("phase") != "plaintext" || !strings.HasPrefix(first.Str("out"), decl+"<stream:stream ") {
		t.Errorf("server log: the first bytes sent on %s are not %q then the stream header: %s", tlsUp.Str("conn"), decl, first)
	}
}
