package server_test

import (
	"testing"

	"jabberd/certs"
	"jabberd/config"
)

// TestExternalAutoProvision: with auth.external_auto_provision, a verified
// certificate for an identity of this domain without an account logs in
// with EXTERNAL, and the account then exists (so that messages to it are
// stored, not refused).
func TestExternalAutoProvision(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Auth.ExternalAutoProvision = true })
	pair, err := certs.IssueClient(h.set.State.CA, "dave@localhost", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cert := pair.TLSCertificate()
	c := h.dial(t)
	c.send(rfcHeader)
	c.expectHeader(rfcAnswer)
	c.expect("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
	c.send(rfcStartTLS)
	c.expect(rfcProceed)
	c.upgrade(h.tlsConfig(&cert))
	c.send(rfcHeader)
	c.expectHeader(rfcAnswer)
	c.expect("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>EXTERNAL</mechanism>" +
		"<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism>" +
		"<mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>" +
		"<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/></sasl-channel-binding>" +
		"</stream:features>")
	if _, err := h.set.Store.Lookup("dave"); err == nil {
		t.Fatal("the account exists before the login")
	}
	c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
	c.expect("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
	h.logs.wait(t, match{msg: "authenticated", fields: map[string]string{"jid": "dave@localhost", "mechanism": "EXTERNAL"}})
	a, err := h.set.Store.Lookup("dave")
	if err != nil {
		t.Fatalf("no account after the EXTERNAL login: %v", err)
	}
	if a.HasCredentials() {
		t.Fatal("the provisioned account has a password")
	}
}
