package server_test

// End-to-end STARTTLS upgrades over loopback with real TLS: XEP-0035, client
// certificates, RFC 6120, injected plaintext and the pipelined quickstart.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
)

// checkEstablished asserts the "TLS established" entry of a connection that
// upgraded with the client state cs and early bytes replayed into TLS.
func checkEstablished(t *testing.T, e logEntry, cs tls.ConnectionState, early int) {
	t.Helper()
	if e.Str("level") != "info" {
		t.Errorf("TLS established at level %q, want info", e.Str("level"))
	}
	if got := e.Str("version"); got != "TLS 1.3" {
		t.Errorf("TLS established: version %q, want %q", got, "TLS 1.3")
	}
	if got, want := e.Str("cipher"), tls.CipherSuiteName(cs.CipherSuite); got != want {
		t.Errorf("TLS established: cipher %q, want the negotiated %q", got, want)
	}
	if got := e.Str("sni"); got != "localhost" {
		t.Errorf("TLS established: sni %q, want localhost", got)
	}
	if n, ok := e.Num("early_bytes"); !ok || int(n) != early {
		t.Errorf("TLS established: early_bytes %v, want %d", e["early_bytes"], early)
	}
}

// checkClientState asserts the client verified the server's lab certificate.
func checkClientState(t *testing.T, h *harness, cs tls.ConnectionState) {
	t.Helper()
	if cs.Version != tls.VersionTLS13 || !cs.HandshakeComplete {
		t.Errorf("client state: version %#x complete %v, want TLS 1.3 complete", cs.Version, cs.HandshakeComplete)
	}
	if len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 || !cs.PeerCertificates[0].Equal(h.set.State.Server.Cert) {
		t.Errorf("client did not verify the state directory's server certificate (chains %d)", len(cs.VerifiedChains))
	}
	if cs.ServerName != "localhost" {
		t.Errorf("client state: ServerName %q", cs.ServerName)
	}
}

// checkOpened asserts the "stream opened" entries of a connection: one per
// stream, with the ids seen on the wire, in dialect and phase order.
func checkOpened(t *testing.T, h *harness, c *client, dialect string, ids []string, phases []string) {
	t.Helper()
	got := h.logs.waitN(t, len(ids), h.connMatch(c, "stream opened"))
	if len(got) != len(ids) {
		t.Fatalf("%d stream opened entries, want %d: %v", len(got), len(ids), got)
	}
	for i, e := range got {
		if e.Str("dialect") != dialect || e.Str("stream") != ids[i] || e.Str("phase") != phases[i] {
			t.Errorf("stream opened #%d: dialect %q stream %q phase %q, want %q %q %q",
				i+1, e.Str("dialect"), e.Str("stream"), e.Str("phase"), dialect, ids[i], phases[i])
		}
	}
}

// checkOneConnID asserts every entry of the connection carries the same conn id.
func checkOneConnID(t *testing.T, h *harness, c *client) {
	t.Helper()
	entries := h.logs.all(t, match{fields: map[string]string{"remote": c.remote}})
	if len(entries) == 0 {
		t.Fatalf("no log entry for %s", c.remote)
	}
	id := entries[0].Str("conn")
	if !strings.HasPrefix(id, "c") {
		t.Errorf("conn id %q, want c<n>", id)
	}
	for _, e := range entries {
		if e.Str("conn") != id {
			t.Errorf("entry with conn %q, want %q: %s", e.Str("conn"), id, e)
		}
	}
}

// Case 1: the whole XEP-0035 flow.
func TestLegacyStartTLSFullFlow(t *testing.T) {
	h := start(t, nil)
	c := h.dial(t)

	c.send(legacyHeader)
	id1 := c.expectHeader(legacyAnswerTLS)
	c.send(legacyStartTLS)
	c.expect(closeTag) // exactly: nothing else precedes the handshake
	cs := c.upgrade(h.tlsConfig(nil))
	checkClientState(t, h, cs)

	// The client declares xmlns:tls again: over TLS it is not echoed.
	c.send(legacyHeader)
	id2 := c.expectHeader(legacyAnswer)
	if id2 == id1 {
		t.Errorf("stream id %q reused after TLS", id2)
	}
	c.send(closeTag)
	c.expect(closeTag)
	c.expectClosed()

	est := h.logs.wait(t, h.connMatch(c, "TLS established"))
	checkEstablished(t, est, cs, 0)
	for _, k := range []string{"client_cert", "client_cert_verified", "client_cert_error"} {
		if _, ok := est[k]; ok {
			t.Errorf("TLS established has %s without a client certificate: %s", k, est)
		}
	}
	checkOpened(t, h, c, "legacy", []string{id1, id2}, []string{"plaintext", "tls"})
	if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "client closed the stream" {
		t.Errorf("closing reason %q", r)
	}
	if n := len(h.logs.all(t, h.connMatch(c, "TLS upgrade failed"))); n != 0 {
		t.Errorf("%d TLS upgrade failed entries on a good upgrade", n)
	}
	checkOneConnID(t, h, c)
	h.waitConnCount(t, 0)
}

// Case 2: a client certificate is verified against the lab CA after the
// handshake; one from another CA is accepted by the handshake (client_certs =
// "request") but not verified.
func TestLegacyStartTLSClientCertificate(t *testing.T) {
	h := start(t, nil)
	if h.cfg.TLS.ClientCerts != "request" {
		t.Fatalf("default client_certs = %q, this test is about \"request\"", h.cfg.TLS.ClientCerts)
	}
	alice, aliceLeaf := h.clientCert("alice")

	otherCA, err := certs.NewCA("some other CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := certs.IssueClient(otherCA, "alice@localhost", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}

	// Over TLS the client asks for XEP-0034 SASL; EXTERNAL is offered, and
	// works, only with the certificate that verified.
	const saslHeader = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms' to='localhost'>"
	const saslAnswer = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms' id='{ID}' from='localhost'>"
	const passwordMechs = "<sasl:mechanism>SCRAM-SHA-256-PLUS</sasl:mechanism><sasl:mechanism>SCRAM-SHA-256</sasl:mechanism>" +
		"<sasl:mechanism>SCRAM-SHA-1-PLUS</sasl:mechanism><sasl:mechanism>SCRAM-SHA-1</sasl:mechanism><sasl:mechanism>PLAIN</sasl:mechanism></sasl:mechanisms>"
	for _, tc := range []struct {
		name           string
		cert           tls.Certificate
		leaf           *x509.Certificate
		verified       bool
		mechs, outcome string
	}{
		{"lab CA", alice, aliceLeaf, true,
			"<sasl:mechanisms><sasl:mechanism>EXTERNAL</sasl:mechanism>" + passwordMechs,
			"<sasl:success/>"},
		{"other CA", mallory.TLSCertificate(), mallory.Cert, false,
			"<sasl:mechanisms>" + passwordMechs,
			`<sasl:failure>mechanism "EXTERNAL" is not offered on this stream</sasl:failure>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t)
			id1 := c.legacyOpen()
			c.send(legacyStartTLS)
			c.expect(closeTag)
			cs := c.upgrade(h.tlsConfig(&tc.cert))
			checkClientState(t, h, cs)
			c.send(saslHeader)
			id2 := c.expectHeader(saslAnswer)
			c.expect(tc.mechs)
			c.send("<sasl:auth mechanism='EXTERNAL'/>")
			c.expect(tc.outcome)
			c.send(closeTag)
			c.expect(closeTag)
			c.expectClosed()

			est := h.logs.wait(t, h.connMatch(c, "TLS established"))
			checkEstablished(t, est, cs, 0)
			if got, want := est.Str("client_cert"), tc.leaf.Subject.String(); got != want || want == "" {
				t.Errorf("client_cert %q, want %q", got, want)
			}
			if v, ok := est["client_cert_verified"].(bool); !ok || v != tc.verified {
				t.Errorf("client_cert_verified = %v, want %v", est["client_cert_verified"], tc.verified)
			}
			cerr, hasErr := est["client_cert_error"]
			switch {
			case tc.verified && hasErr:
				t.Errorf("client_cert_error %v on a verified certificate", cerr)
			case !tc.verified && !strings.Contains(est.Str("client_cert_error"), "certificate signed by unknown authority"):
				t.Errorf("client_cert_error %q, want the unknown-authority failure", est.Str("client_cert_error"))
			}
			checkOpened(t, h, c, "legacy", []string{id1, id2}, []string{"plaintext", "tls"})
			if tc.verified {
				if got := fmt.Sprint(est["client_cert_accounts"]); got != "[alice]" {
					t.Errorf("client_cert_accounts %s, want [alice]", got)
				}
				e := h.logs.wait(t, h.connMatch(c, "authenticated"))
				if e.Str("mechanism") != "EXTERNAL" || e.Str("jid") != "alice@localhost" {
					t.Errorf("authenticated: %s", e)
				}
			} else {
				if _, ok := est["client_cert_accounts"]; ok {
					t.Errorf("accounts mapped from an unverified certificate: %s", est)
				}
				if e := h.logs.wait(t, h.connMatch(c, "authentication failed")); e.Str("mechanism") != "EXTERNAL" {
					t.Errorf("authentication failed: %s", e)
				}
				if n := len(h.logs.all(t, h.connMatch(c, "authenticated"))); n != 0 {
					t.Errorf("logged in with a certificate from another CA")
				}
			}
		})
	}
}

// Case 3: RFC 6120 STARTTLS.
func TestRFC6120StartTLS(t *testing.T) {
	h := start(t, nil)
	c := h.dial(t)

	c.send(rfcHeader)
	id1 := c.expectHeader(rfcAnswer)
	c.expect("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>")
	c.send(rfcStartTLS)
	c.expect(rfcProceed)
	cs := c.upgrade(h.tlsConfig(nil))
	checkClientState(t, h, cs)

	c.send(rfcHeader)
	id2 := c.expectHeader(rfcAnswer)
	// No STARTTLS over TLS; the default mechanisms without EXTERNAL (no
	// client certificate), with XEP-0440 channel-binding types.
	c.expect("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
		"<mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism>" +
		"<mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>" +
		"<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/></sasl-channel-binding>" +
		"</stream:features>")
	if id1 == id2 {
		t.Errorf("stream id %q reused after TLS", id2)
	}
	c.send(closeTag)
	c.expect(closeTag)
	c.expectClosed()

	checkEstablished(t, h.logs.wait(t, h.connMatch(c, "TLS established")), cs, 0)
	checkOpened(t, h, c, "rfc6120", []string{id1, id2}, []string{"plaintext", "tls"})
}

// Case 4: plaintext pipelined after the STARTTLS request (CVE-2011-0411
// class) goes to the TLS layer, fails the handshake and is never obeyed.
func TestStartTLSInjectedPlaintextIsNotObeyed(t *testing.T) {
	const injected = "<iq type='get' id='x'><query xmlns='jabber:iq:auth'/></iq>"
	for _, tc := range []struct {
		name, header, answer, features, request, reply string
	}{
		{"legacy", legacyHeader, legacyAnswerTLS, "", legacyStartTLS, closeTag},
		{"rfc6120", rfcHeader, rfcAnswer, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>", rfcStartTLS, rfcProceed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, nil)
			c := h.dial(t)
			c.send(tc.header)
			c.expectHeader(tc.answer)
			if tc.features != "" {
				c.expect(tc.features)
			}
			c.send(tc.request + injected) // one write

			got, err := c.readUntilClosed()
			if err != io.EOF {
				t.Errorf("connection ended with %v, want EOF", err)
			}
			if strings.Contains(got, "<iq") {
				t.Errorf("the injected iq was answered: %q", got)
			}
			if got != tc.reply {
				t.Errorf("server sent %q until close, want exactly %q", got, tc.reply)
			}

			fail := h.logs.wait(t, h.connMatch(c, "TLS upgrade failed"))
			if n, _ := fail.Num("early_bytes"); int(n) != len(injected) {
				t.Errorf("early_bytes %v, want %d (the injected iq)", fail["early_bytes"], len(injected))
			}
			if e := fail.Str("error"); !strings.HasPrefix(e, "TLS handshake: ") || !strings.Contains(e, "does not look like a TLS handshake") {
				t.Errorf("TLS upgrade failed error %q", e)
			}
			if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); !strings.HasPrefix(r, "TLS handshake failed: ") {
				t.Errorf("closing reason %q", r)
			}
			if n := len(h.logs.all(t, h.connMatch(c, "TLS established"))); n != 0 {
				t.Errorf("TLS established %d times", n)
			}
			// At debug level every parsed element is logged: the iq never was.
			for _, e := range h.logs.all(t, h.connMatch(c, "received")) {
				if strings.Contains(e.Str("in"), "iq") {
					t.Errorf("the injected iq reached the parser: %s", e)
				}
			}
			h.waitConnCount(t, 0)
		})
	}
}

// quickstartConn lets tls.Client pipeline its ClientHello right behind
// <tls:starttls/> (XEP-0305): the first Write sends prefix and the
// ClientHello in one write; reads first take exactly expect off the wire
// (the server's </stream:stream>) and hand the rest to TLS.
type quickstartConn struct {
	net.Conn
	prefix, expect []byte
	wrote, read    bool
	hello          []byte // what TLS wrote first
	gotExpect      []byte
}

func (q *quickstartConn) Write(p []byte) (int, error) {
	if q.wrote {
		return q.Conn.Write(p)
	}
	q.wrote = true
	q.hello = append([]byte(nil), p...)
	if _, err := q.Conn.Write(append(append([]byte(nil), q.prefix...), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (q *quickstartConn) Read(p []byte) (int, error) {
	if !q.read {
		q.read = true
		q.gotExpect = make([]byte, len(q.expect))
		n, err := io.ReadFull(q.Conn, q.gotExpect)
		q.gotExpect = q.gotExpect[:n]
		if err != nil {
			return 0, fmt.Errorf("quickstart: reading %q before TLS: got %q, %w", q.expect, q.gotExpect, err)
		}
		if string(q.gotExpect) != string(q.expect) {
			return 0, fmt.Errorf("quickstart: server sent %q before TLS, want %q", q.gotExpect, q.expect)
		}
	}
	return q.Conn.Read(p)
}

// Case 5: XEP-0305-style quickstart, the ClientHello pipelined behind the
// request without waiting for </stream:stream>.
func TestLegacyStartTLSQuickstart(t *testing.T) {
	h := start(t, nil)
	c := h.dial(t)
	id1 := c.legacyOpen()

	q := &quickstartConn{Conn: c.tcp, prefix: []byte(legacyStartTLS), expect: []byte(closeTag)}
	tc := tls.Client(q, h.tlsConfig(nil))
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("quickstart handshake: %v", err)
	}
	_ = c.tcp.SetDeadline(time.Time{})
	if string(q.gotExpect) != closeTag {
		t.Fatalf("before TLS the server sent %q, want %q", q.gotExpect, closeTag)
	}
	if len(q.hello) < 5 || q.hello[0] != 22 {
		t.Fatalf("first TLS write is not a handshake record: % x", q.hello[:min(len(q.hello), 5)])
	}
	cs := tc.ConnectionState()
	checkClientState(t, h, cs)
	c.conn = tc

	c.send(legacyHeader)
	id2 := c.expectHeader(legacyAnswer)
	c.send(closeTag)
	c.expect(closeTag)
	c.expectClosed()

	est := h.logs.wait(t, h.connMatch(c, "TLS established"))
	early, _ := est.Num("early_bytes")
	if early <= 0 || int(early) > len(q.hello) {
		t.Errorf("early_bytes %v, want 1..%d (the pipelined ClientHello)", est["early_bytes"], len(q.hello))
	}
	checkEstablished(t, est, cs, int(early))
	checkOpened(t, h, c, "legacy", []string{id1, id2}, []string{"plaintext", "tls"})
}
