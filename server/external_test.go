package server_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"

	"jabberd/certs"
)

// upgradeRFC runs the RFC 6120 STARTTLS upgrade with cert and returns the
// features offered over TLS.
func upgradeRFC(t *testing.T, h *harness, c *client, cert *tls.Certificate) (string, tls.ConnectionState) {
	t.Helper()
	c.send(rfcHeader)
	c.expectHeader(rfcAnswer)
	c.expect("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
	c.send(rfcStartTLS)
	c.expect(rfcProceed)
	cs := c.upgrade(h.tlsConfig(cert))
	c.send(rfcHeader)
	c.expectHeader(rfcAnswer)
	var b strings.Builder
	for !strings.HasSuffix(b.String(), "</stream:features>") {
		b.WriteString(c.readTag())
	}
	return b.String(), cs
}

// TestExternalCertificateCases: certificates made by the project's certs
// code, over real TLS. A valid xmppAddr certificate logs in with EXTERNAL;
// for an expired one, one from another CA, one without xmppAddr and one for
// another domain EXTERNAL is not offered, and asking for it fails; the log
// says why.
func TestExternalCertificateCases(t *testing.T) {
	h := start(t, nil)
	ca := h.set.State.CA
	otherCA, err := certs.NewCA("another lab", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(ca *certs.Pair, jid string, opt certs.ClientOptions) *tls.Certificate {
		p, err := certs.IssueClientWith(ca, jid, opt)
		if err != nil {
			t.Fatal(err)
		}
		c := p.TLSCertificate()
		return &c
	}
	long := time.Now().Add(-48 * time.Hour)
	cases := []struct {
		name     string
		cert     *tls.Certificate
		external bool
		logField string // what the TLS log line must say
	}{
		{"valid xmppAddr", issue(ca, "alice@localhost", certs.ClientOptions{}), true, `"client_cert_accounts":["alice"]`},
		{"expired", issue(ca, "alice@localhost", certs.ClientOptions{Options: certs.Options{NotBefore: long, Validity: time.Hour}}), false, `"client_cert_error":"x509: certificate has expired`},
		{"another CA", issue(otherCA, "alice@localhost", certs.ClientOptions{}), false, `"client_cert_error":"x509: certificate signed by unknown authority`},
		{"no xmppAddr", issue(ca, "alice@localhost", certs.ClientOptions{NoXMPPAddr: true}), false, `"client_cert_identities_dropped":["no identity in the certificate under policy xmppaddr"]`},
		{"another domain", issue(ca, "alice@example.org", certs.ClientOptions{}), false, `belongs to domain example.org, not localhost`},
		{"wrong key usage", issue(ca, "alice@localhost", certs.ClientOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), false, `"client_cert_error":"x509: certificate specifies an incompatible key usage`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t)
			features, _ := upgradeRFC(t, h, c, tc.cert)
			if got := strings.Contains(features, "<mechanism>EXTERNAL</mechanism>"); got != tc.external {
				t.Fatalf("EXTERNAL offered = %v, want %v: %s", got, tc.external, features)
			}
			c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>")
			if tc.external {
				c.expect("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
			} else {
				c.expect("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><invalid-mechanism/><text xml:lang='en'>mechanism \"EXTERNAL\" is not offered on this stream</text></failure>")
			}
			var found bool
			for _, e := range h.logs.all(t, match{msg: "TLS established"}) {
				if strings.Contains(e.String(), tc.logField) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no TLS log line with %s:\n%s", tc.logField, h.logs.text())
			}
		})
	}
}

// TestSCRAMPlusOverTLS: SCRAM-SHA-256-PLUS with a real SCRAM client over a
// real TLS connection, binding with the data the client's own TLS stack
// exports (tls-exporter, then tls-server-end-point): the server's binding
// data must match what the client computed on its side.
func TestSCRAMPlusOverTLS(t *testing.T) {
	h := start(t, nil)
	for _, kind := range []string{"tls-exporter", "tls-server-end-point"} {
		t.Run(kind, func(t *testing.T) {
			c := h.dial(t)
			features, cs := upgradeRFC(t, h, c, nil)
			if !strings.Contains(features, "<channel-binding type='"+kind+"'/>") {
				t.Fatalf("%s not advertised (XEP-0440): %s", kind, features)
			}
			var cb scram.ChannelBinding
			var err error
			if kind == "tls-exporter" {
				cb, err = scram.NewTLSExporterBinding(&cs)
			} else {
				cb, err = scram.NewTLSServerEndpointBinding(&cs)
			}
			if err != nil {
				t.Fatal(err)
			}
			cl, err := scram.SHA256.NewClient("alice", h.password("alice"), "")
			if err != nil {
				t.Fatal(err)
			}
			conv := cl.NewConversationWithChannelBinding(cb)
			first, _ := conv.Step("")
			c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>" + base64.StdEncoding.EncodeToString([]byte(first)) + "</auth>")
			chal := payload(t, readElement(t, c, "challenge"), "challenge")
			final, err := conv.Step(chal)
			if err != nil {
				t.Fatal(err)
			}
			c.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + base64.StdEncoding.EncodeToString([]byte(final)) + "</response>")
			success := payload(t, readElement(t, c, "success"), "success")
			if _, err := conv.Step(success); err != nil || !conv.Valid() {
				t.Fatalf("the server's signature did not verify: %v", err)
			}
			h.logs.wait(t, match{msg: "authenticated", fields: map[string]string{"mechanism": "SCRAM-SHA-256-PLUS", "jid": "alice@localhost"}})
		})
	}
}

// payload returns the decoded text of a SASL element named local.
func payload(t *testing.T, tag, local string) string {
	t.Helper()
	prefix := "<" + local + " xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
	if !strings.HasPrefix(tag, prefix) {
		t.Fatalf("want <%s>, got %s", local, tag)
	}
	text := strings.TrimSuffix(strings.TrimPrefix(tag, prefix), "</"+local+">")
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		t.Fatalf("<%s> payload: %v", local, err)
	}
	return string(b)
}

// readElement reads tags until the element local ends.
func readElement(t *testing.T, c *client, local string) string {
	t.Helper()
	var b strings.Builder
	for !strings.HasSuffix(b.String(), "</"+local+">") {
		tag := c.readTag()
		b.WriteString(tag)
		if strings.HasPrefix(b.String(), "<failure") && strings.HasSuffix(tag, "</failure>") {
			t.Fatalf("want <%s>, the server failed: %s", local, b.String())
		}
	}
	return b.String()
}
