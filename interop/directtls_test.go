package interop

// The direct-TLS listener (XEP-0368): TLS from the first byte, ALPN
// "xmpp-client", and a readable stream error for a client that speaks
// plaintext XMPP to it.

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestDirectTLSOpenSSLALPN(t *testing.T) {
	t.Parallel()
	bin := needClient(t, "openssl", "openssl")
	j := startJabberd(t, serverOptions{direct: true})
	r := runClient(t, runOptions{stdin: "Q\n"}, bin, "s_client",
		"-connect", j.direct, "-servername", "localhost",
		"-alpn", "xmpp-client",
		"-CAfile", j.caFile(), "-verify_return_error", "-verify_hostname", "localhost")
	assertOpenSSLVerified(t, r)
	if out := r.stdout.String(); !strings.Contains(out, "ALPN protocol: xmpp-client") {
		t.Errorf("openssl output lacks %q (ALPN not negotiated):\n%s", "ALPN protocol: xmpp-client", r)
	}

	tlsUp := j.waitLog(t, 1, fields{"message": "TLS established"})[0]
	conn := tlsUp.Str("conn")
	connected := j.entries(fields{"message": "connected", "conn": conn})
	if len(connected) != 1 || connected[0].Str("local") != j.direct {
		t.Errorf("server log: connection %s did not arrive on the direct-TLS listener %s: %v", conn, j.direct, connected)
	}
	if sni := tlsUp.Str("sni"); sni != "localhost" {
		t.Errorf("server log: sni = %q, want localhost: %s", sni, tlsUp)
	}
	if eb := tlsUp["early_bytes"]; eb != float64(0) {
		t.Errorf("server log: early_bytes = %v on a direct-TLS connection: %s", eb, tlsUp)
	}
	// No STARTTLS may have happened on this port.
	for _, e := range j.entries(fields{"message": "sent", "conn": conn}) {
		if strings.Contains(e.Str("out"), "<proceed") {
			t.Errorf("server sent <proceed/> on the direct-TLS port: %s", e)
		}
	}
}

func TestDirectTLSPlaintextIsRefused(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{direct: true})
	c, err := net.DialTimeout("tcp", j.direct, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	header := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"
	_ = c.SetDeadline(time.Now().Add(logTimeout))
	if _, err := io.WriteString(c, header); err != nil {
		t.Fatalf("write stream header: %v", err)
	}
	var got bytes.Buffer
	_, err = io.Copy(&got, c) // until the server closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("server did not close the connection within %v; it sent %q", logTimeout, got.String())
	}
	answer := got.String()
	t.Logf("server answered: %q (then %v)", answer, err)
	if !strings.Contains(answer, "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") {
		t.Errorf("answer to plaintext lacks <stream:error><policy-violation …/>: %q", answer)
	}
	if !strings.HasPrefix(answer, "<?xml version='1.0'?><stream:stream ") || !strings.Contains(answer, " id='") {
		t.Errorf("stream error not preceded by a stream header with an id (RFC 6120 §4.9.1.1, §4.7.3): %q", answer)
	}
	if !strings.HasSuffix(answer, "</stream:stream>") {
		t.Errorf("answer does not end with </stream:stream>: %q", answer)
	}
	if !strings.Contains(answer, "direct TLS") {
		t.Errorf("stream error text does not say the port expects TLS: %q", answer)
	}
	j.waitLog(t, 1, fields{"message": "plaintext on the direct-TLS port: refused with a stream error"})
}
