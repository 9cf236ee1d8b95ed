package server_test

import "testing"

// TestStartTLSAcceptsAnyALPN: a STARTTLS client may offer ALPN protocols
// of its own (crypto/tls would refuse the handshake if the server
// negotiated ALPN and nothing matched); only direct TLS speaks ALPN.
func TestStartTLSAcceptsAnyALPN(t *testing.T) {
	h := start(t, nil)
	c := h.dial(t)
	c.send(rfcHeader)
	c.expectHeader(rfcAnswer)
	c.expect("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
	c.send(rfcStartTLS)
	c.expect(rfcProceed)
	cfg := h.tlsConfig(nil)
	cfg.NextProtos = []string{"h2", "irc"}
	cs := c.upgrade(cfg)
	if cs.NegotiatedProtocol != "" {
		t.Fatalf("ALPN %q negotiated on a STARTTLS connection", cs.NegotiatedProtocol)
	}
}
