package irc_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/config"
	"jabberd/tlspolicy"
)

// TestIRCStartTLSRegisterPrivmsg: two clients upgrade with STARTTLS,
// register over TLS, meet in a channel and exchange messages.
func TestIRCStartTLSRegisterPrivmsg(t *testing.T) {
	h := start(t, nil, nil)
	alice, bob := h.dial(t), h.dial(t)
	for _, c := range []*client{alice, bob} {
		c.send("CAP LS 302")
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
		cs := c.startTLS(h.tlsConfig(nil), "*")
		if !cs.HandshakeComplete || len(cs.PeerCertificates) == 0 || cs.PeerCertificates[0].Subject.CommonName != "localhost" {
			t.Fatalf("handshake state %+v", cs)
		}
		// cap-notify (implicit with 302): tls is gone, and without a
		// certificate only PLAIN may be used.
		c.expect(":localhost CAP * DEL :tls")
		c.expect(":localhost CAP * NEW :sasl=PLAIN")
		c.send("CAP LS 302")
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=PLAIN")
		c.send("CAP END")
	}
	welcome := alice.register("alice")
	if !slices.Contains(welcome, ":localhost NOTICE alice :*** Your connection is encrypted: "+tlsName(alice)) {
		t.Errorf("the welcome does not say the connection is encrypted: %q", welcome)
	}
	bob.register("bob")

	alice.send("JOIN #lab")
	alice.expect(":alice!alice@127.0.0.1 JOIN #lab")
	alice.sync()
	bob.send("JOIN #lab")
	bob.expect(":bob!bob@127.0.0.1 JOIN #lab")
	bob.expect(":localhost 353 bob = #lab :@alice bob")
	bob.expect(":localhost 366 bob #lab :End of /NAMES list")
	alice.expect(":bob!bob@127.0.0.1 JOIN #lab")

	alice.send("PRIVMSG #lab :hello over TLS")
	bob.expect(":alice!alice@127.0.0.1 PRIVMSG #lab :hello over TLS")
	bob.send("PRIVMSG alice :hi alice, privately")
	alice.expect(":bob!bob@127.0.0.1 PRIVMSG alice :hi alice, privately")
	if extra := alice.sync(); len(extra) != 0 {
		t.Errorf("alice got her own message back or more: %q", extra)
	}

	for _, c := range []*client{alice, bob} {
		up := h.logs.wait(t, fields{"message": "TLS established", "conn": c.id})
		if n, _ := up.Num("early_bytes"); n != 0 {
			t.Errorf("early_bytes %v without pipelining", up["early_bytes"])
		}
		reg := h.logs.wait(t, fields{"message": "registered", "conn": c.id})
		if reg.Str("phase") != "tls" {
			t.Errorf("registered in phase %q, want tls: %s", reg.Str("phase"), reg)
		}
	}
	alice.send("QUIT :done")
	alice.expect("ERROR :Closing link: 127.0.0.1 (Quit: done)")
	bob.expect(":alice!alice@127.0.0.1 QUIT :Quit: done")
}

func tlsName(c *client) string {
	cs := c.conn.(*tls.Conn).ConnectionState()
	return tls.VersionName(cs.Version) + ", " + tls.CipherSuiteName(cs.CipherSuite)
}

// TestIRCInjectedPlaintextIsNotObeyed: lines in the same write as STARTTLS
// go to the handshake, which fails; none is obeyed.
func TestIRCInjectedPlaintextIsNotObeyed(t *testing.T) {
	h := start(t, nil, nil)
	bob := h.dial(t)
	bob.register("bob")

	mallory := h.dial(t)
	injected := "NICK mallory\r\nUSER m 0 * :m\r\nPRIVMSG bob :owned\r\nQUIT :gone\r\n"
	mallory.write("STARTTLS\r\n" + injected)
	got, err := mallory.readUntilClosed()
	if err != io.EOF {
		t.Errorf("connection ended with %v, want EOF", err)
	}
	if want := []string{":localhost 670 * :STARTTLS successful, proceed with TLS handshake"}; !slices.Equal(got, want) {
		t.Errorf("server sent %q until close, want exactly %q", got, want)
	}
	fail := h.logs.wait(t, fields{"message": "TLS upgrade failed", "conn": mallory.id})
	if n, _ := fail.Num("early_bytes"); int(n) != len(injected) {
		t.Errorf("early_bytes %v, want %d (the injected lines)", fail["early_bytes"], len(injected))
	}
	if e := fail.Str("error"); !strings.Contains(e, "does not look like a TLS handshake") {
		t.Errorf("TLS upgrade failed with %q", e)
	}
	for _, e := range h.logs.all(t, fields{"message": "received", "conn": mallory.id}) {
		if e.Str("in") != "STARTTLS" {
			t.Errorf("an injected line reached the parser: %s", e)
		}
	}
	if n := len(h.logs.all(t, fields{"message": "registered", "conn": mallory.id})); n != 0 {
		t.Errorf("mallory registered %d times", n)
	}
	h.waitConnCount(t, 1)
	if lines := bob.sync(); len(lines) != 0 {
		t.Errorf("bob received %q", lines)
	}
	// The nick was never taken.
	bob.send("NICK mallory")
	bob.expect(":bob!bob@127.0.0.1 NICK mallory")
}

// quickstartConn lets tls.Client pipeline its ClientHello right behind
// STARTTLS: the first Write sends the STARTTLS line and the ClientHello in
// one write; the first Read takes the 670 line off the wire.
type quickstartConn struct {
	net.Conn
	wrote, read bool
	hello       []byte
	got670      string
}

func (q *quickstartConn) Write(p []byte) (int, error) {
	if q.wrote {
		return q.Conn.Write(p)
	}
	q.wrote = true
	q.hello = append([]byte(nil), p...)
	if _, err := q.Conn.Write(append([]byte("STARTTLS\r\n"), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (q *quickstartConn) Read(p []byte) (int, error) {
	if !q.read {
		q.read = true
		var line []byte
		b := make([]byte, 1)
		for !strings.HasSuffix(string(line), "\r\n") {
			if _, err := q.Conn.Read(b); err != nil {
				return 0, fmt.Errorf("quickstart: reading 670: got %q, %w", line, err)
			}
			line = append(line, b[0])
		}
		q.got670 = string(line)
	}
	return q.Conn.Read(p)
}

// TestIRCQuickstart: STARTTLS and the ClientHello in one write works.
func TestIRCQuickstart(t *testing.T) {
	h := start(t, nil, nil)
	c := h.dial(t)
	q := &quickstartConn{Conn: c.tcp}
	tc := tls.Client(q, h.tlsConfig(nil))
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("quickstart handshake: %v", err)
	}
	_ = c.tcp.SetDeadline(time.Time{})
	if q.got670 != ":localhost 670 * :STARTTLS successful, proceed with TLS handshake\r\n" {
		t.Fatalf("before TLS the server sent %q", q.got670)
	}
	if len(q.hello) < 5 || q.hello[0] != 0x16 {
		t.Fatalf("first TLS write is not a handshake record: % x", q.hello[:min(5, len(q.hello))])
	}
	c.conn = tc
	c.r.Reset(tc)
	c.register("alice")
	up := h.logs.wait(t, fields{"message": "TLS established", "conn": c.id})
	if f, _ := up.Num("early_bytes"); int(f) <= 0 || int(f) > len(q.hello) {
		t.Errorf("early_bytes %d, want 1..%d (the pipelined ClientHello)", int(f), len(q.hello))
	}
}

// TestIRCExternalLogin: alice's lab certificate verifies against the lab
// CA, maps to the account alice, and logs in with SASL EXTERNAL; a
// certificate from another CA is shown but never offered EXTERNAL.
func TestIRCExternalLogin(t *testing.T) {
	h := start(t, nil, nil)
	c := h.dial(t)
	c.send("CAP LS 302")
	c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
	c.startTLS(h.tlsConfig(h.clientCert("alice")), "*")
	c.expect(":localhost CAP * DEL :tls") // the mechanisms are the same: alice's certificate maps
	c.send("CAP LS 302")
	c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN")
	c.send("CAP REQ :sasl")
	c.expect(":localhost CAP * ACK :sasl")
	c.send("AUTHENTICATE EXTERNAL")
	c.expect("AUTHENTICATE +")
	c.send("AUTHENTICATE +")
	c.expect(":localhost 900 * *!*@127.0.0.1 alice :You are now logged in as alice")
	c.expect(":localhost 903 * :SASL authentication successful")
	c.send("CAP END")
	welcome := c.register("alice")
	for _, want := range []string{
		":localhost NOTICE alice :*** Your client certificate (CN=alice@localhost) verified",
		":localhost NOTICE alice :*** You are logged in as alice",
	} {
		if !slices.Contains(welcome, want) {
			t.Errorf("welcome lacks %q: %q", want, welcome)
		}
	}
	up := h.logs.wait(t, fields{"message": "TLS established", "conn": c.id})
	if up.Str("client_cert") != "CN=alice@localhost" || up["client_cert_verified"] != true {
		t.Errorf("TLS established: %s", up)
	}
	auth := h.logs.wait(t, fields{"message": "authenticated", "conn": c.id})
	if auth.Str("mechanism") != "EXTERNAL" || auth.Str("account") != "alice" {
		t.Errorf("authenticated: %s", auth)
	}
	if reg := h.logs.wait(t, fields{"message": "registered", "conn": c.id}); reg.Str("account") != "alice" {
		t.Errorf("registered: %s", reg)
	}

	t.Run("foreign certificate", func(t *testing.T) {
		ca, err := certs.NewCA("Other CA", certs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := certs.IssueClient(ca, "alice@localhost", certs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cert := p.TLSCertificate()
		c := h.dial(t)
		c.startTLS(h.tlsConfig(&cert), "*")
		c.send("CAP LS 302")
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=PLAIN")
		c.send("CAP REQ sasl", "AUTHENTICATE EXTERNAL")
		c.expect(":localhost CAP * ACK :sasl")
		c.expect(":localhost 908 * PLAIN :are available SASL mechanisms")
		c.expect(":localhost 904 * :SASL authentication failed: EXTERNAL needs a client certificate that verifies (x509: certificate signed by unknown authority)")
		c.send("CAP END")
		welcome := c.register("alice2")
		found := false
		for _, l := range welcome {
			found = found || strings.HasPrefix(l, ":localhost NOTICE alice2 :*** Your client certificate (CN=alice@localhost) did not verify: ")
		}
		if !found {
			t.Errorf("the welcome does not say the certificate did not verify: %q", welcome)
		}
	})
}

// TestIRCStartTLSRefusals: each refusal is a numeric and the connection
// stays usable.
func TestIRCStartTLSRefusals(t *testing.T) {
	h := start(t, nil, nil)
	t.Run("after registration", func(t *testing.T) {
		c := h.dial(t)
		c.register("early")
		c.send("STARTTLS")
		c.expect(":localhost 691 early :STARTTLS failed: not permitted after registration")
		c.sync()
	})
	t.Run("twice", func(t *testing.T) {
		c := h.dial(t)
		c.startTLS(h.tlsConfig(nil), "*")
		c.send("STARTTLS")
		c.expect(":localhost 691 * :STARTTLS failed: TLS is already active on this connection")
		c.register("twice")
	})
	t.Run("disabled listener", func(t *testing.T) {
		h := start(t, func(cfg *config.Config) { cfg.IRC.TLS = tlspolicy.Disabled }, nil)
		c := h.dial(t)
		c.send("CAP LS 302", "STARTTLS")
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify")
		c.expect(":localhost 421 * STARTTLS :STARTTLS is disabled on this listener")
		c.send("CAP END")
		c.register("plain")
	})
	t.Run("expired server certificate", func(t *testing.T) {
		dir := t.TempDir()
		st, err := certs.EnsureState(dir, "localhost", []string{"localhost"}, nil, certs.ECDSAP256)
		if err != nil {
			t.Fatal(err)
		}
		p, err := certs.IssueServer(st.CA, []string{"localhost", "127.0.0.1"}, certs.Options{NotBefore: time.Now().Add(-72 * time.Hour), Validity: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		crt, key := filepath.Join(dir, "expired.crt"), filepath.Join(dir, "expired.key")
		if err := p.Save(crt, key); err != nil {
			t.Fatal(err)
		}
		h := start(t, func(cfg *config.Config) { cfg.StateDir, cfg.TLS.Cert, cfg.TLS.Key = dir, crt, key }, nil)
		c := h.dial(t)
		c.send("CAP LS", "STARTTLS")
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl tls")
		got := c.line()
		if want := ":localhost 691 * :STARTTLS failed: the server certificate expired on "; !strings.HasPrefix(got, want) {
			t.Fatalf("server sent %q, want %q…", got, want)
		}
		c.send("CAP END")
		c.register("stillplain")
	})
}
