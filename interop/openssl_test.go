package interop

// openssl s_client (Debian package openssl) against the RFC 6120 STARTTLS
// upgrade: with -starttls xmpp it sends a version='1.0' header, waits for
// <starttls/> in the features, asks, and runs the handshake after
// <proceed/>. "Q" on stdin makes it quit once the handshake is done.

import (
	"slices"
	"strings"
	"testing"
)

// opensslStartTLS runs s_client's XMPP STARTTLS against j, verifying the
// chain against the lab CA (-verify_return_error: a bad chain aborts the
// handshake) and the name localhost (-verify_hostname).
func opensslStartTLS(t *testing.T, j *jabberd, extra ...string) *run {
	t.Helper()
	bin := needClient(t, "openssl", "openssl")
	args := []string{bin, "s_client",
		"-starttls", "xmpp", "-xmpphost", "localhost",
		"-connect", j.addr,
		"-CAfile", j.caFile(), "-verify_return_error", "-verify_hostname", "localhost",
	}
	return runClient(t, runOptions{stdin: "Q\n"}, append(args, extra...)...)
}

// assertOpenSSLVerified checks what s_client printed about the handshake.
func assertOpenSSLVerified(t *testing.T, r *run) {
	t.Helper()
	if r.exitCode() != 0 {
		t.Fatalf("openssl s_client failed:\n%s", r)
	}
	out := r.stdout.String() + r.stderr.String()
	var missing []string
	for _, want := range []string{
		"Verification: OK",
		"Verified peername: localhost",
		"Verify return code: 0 (ok)",
		"subject=CN = localhost",
	} {
		if !strings.Contains(out, want) {
			missing = append(missing, want)
		}
	}
	if !strings.Contains(out, "TLSv1.3") && !strings.Contains(out, "TLSv1.2") {
		missing = append(missing, "TLSv1.3 or TLSv1.2")
	}
	if len(missing) > 0 {
		t.Errorf("openssl output lacks %q:\n%s", missing, r)
	}
}

// assertRFC6120Upgrade checks the server log of the one connection: an
// RFC 6120 stream opened in plaintext, then TLS established on it.
func assertRFC6120Upgrade(t *testing.T, j *jabberd) logEntry {
	t.Helper()
	tlsUp := j.waitLog(t, 1, fields{"message": "TLS established"})[0]
	conn := tlsUp.Str("conn")
	opened := j.entries(fields{"message": "stream opened", "conn": conn, "phase": "plaintext"})
	if len(opened) != 1 {
		t.Fatalf("server log: want 1 plaintext \"stream opened\" on %s, got %d", conn, len(opened))
	}
	if d := opened[0].Str("dialect"); d != "rfc6120" {
		t.Errorf("server log: stream opened with dialect %q, want rfc6120: %s", d, opened[0])
	}
	if v := tlsUp.Str("version"); v != "TLS 1.3" && v != "TLS 1.2" {
		t.Errorf("server log: TLS version %q: %s", v, tlsUp)
	}
	if failed := j.entries(fields{"message": "TLS upgrade failed"}); len(failed) > 0 {
		t.Errorf("server log: TLS upgrade failed: %v", failed)
	}
	return tlsUp
}

func TestOpenSSLStartTLS(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	r := opensslStartTLS(t, j)
	assertOpenSSLVerified(t, r)
	tlsUp := assertRFC6120Upgrade(t, j)
	if _, shown := tlsUp["client_cert"]; shown {
		t.Errorf("server log: a client certificate although s_client had none: %s", tlsUp)
	}
}

func TestOpenSSLStartTLSClientCertificate(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	crt, key := j.clientCert("alice")
	r := opensslStartTLS(t, j, "-cert", crt, "-key", key)
	assertOpenSSLVerified(t, r)
	tlsUp := assertRFC6120Upgrade(t, j)
	if got := tlsUp.Str("client_cert"); got != "CN=alice@localhost" {
		t.Errorf("server log: client_cert = %q, want CN=alice@localhost: %s", got, tlsUp)
	}
	if v, _ := tlsUp["client_cert_verified"].(bool); !v {
		t.Errorf("server log: client_cert_verified is not true: %s", tlsUp)
	}
	if accts := tlsUp.Strs("client_cert_accounts"); !slices.Contains(accts, "alice") {
		t.Errorf("server log: client_cert_accounts = %q, want alice among them: %s", accts, tlsUp)
	}
	if e := tlsUp.Str("client_cert_error"); e != "" {
		t.Errorf("server log: client_cert_error %q: %s", e, tlsUp)
	}
}

// TestOpenSSLCloseNotify: s_client opens a stream over TLS and closes it;
// jabberd answers </stream:stream> and ends TLS with close_notify before
// the TCP close. Without the alert s_client reports "unexpected eof while
// reading" and exits 1 (RFC 8446 §6.1; what check_xmppng reported as
// XMPP UNKNOWN). -ign_eof keeps s_client reading after its standard input
// ends, until the server closes.
func TestOpenSSLCloseNotify(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	bin := needClient(t, "openssl", "openssl")
	header := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"
	r := runClient(t, runOptions{stdin: header + "\n</stream:stream>\n"}, bin, "s_client",
		"-starttls", "xmpp", "-xmpphost", "localhost", "-connect", j.addr,
		"-CAfile", j.caFile(), "-verify_return_error", "-ign_eof")
	out := r.stdout.String() + r.stderr.String()
	if strings.Contains(out, "unexpected eof") || r.exitCode() != 0 {
		t.Fatalf("s_client saw the server end TLS without close_notify (exit %d):\n%s", r.exitCode(), r)
	}
	if !strings.Contains(r.stdout.String(), "</stream:features></stream:stream>") {
		t.Errorf("s_client did not receive the server's </stream:stream>:\n%s", r)
	}
	j.waitLog(t, 1, fields{"message": "closing", "reason": "client closed the stream"})
}
