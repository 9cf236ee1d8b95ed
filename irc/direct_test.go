package irc_test

// The direct-TLS port ([irc] tls_address, RFC 7194), TLS sent to the
// plaintext port, the sts policy and SASL before TLS, end to end over
// loopback TCP and real TLS.

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// dialTo connects to addr (another port of the IRC server) and learns the
// server's connection id from the log.
func (h *harness) dialTo(t testing.TB, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, tcp: nc, conn: nc, r: bufio.NewReader(nc)}
	c.id = h.logs.wait(t, fields{"message": "connected", "proto": "irc", "remote": nc.LocalAddr().String()}).Str("conn")
	return c
}

// dialTLS connects to the direct-TLS port and runs the handshake.
func (h *harness) dialTLS(t testing.TB, cfg *tls.Config) *client {
	t.Helper()
	c := h.dialTo(t, h.set.IRC.TLSAddr().String())
	if _, err := c.handshake(cfg); err != nil {
		t.Fatalf("handshake with the direct-TLS port: %v", err)
	}
	return c
}

// expectCaps reads a CAP LS answer and checks that it lists every token of
// want and none of the capabilities named in not (with or without a value).
func (c *client) expectCaps(sub string, want []string, not ...string) []string {
	c.t.Helper()
	l := c.line()
	_, list, ok := strings.Cut(l, " "+sub+" :")
	if !ok || !strings.HasPrefix(l, ":localhost CAP ") {
		c.t.Fatalf("server sent %q, want CAP %s", l, sub)
	}
	caps := strings.Fields(list)
	for _, w := range want {
		if !slices.Contains(caps, w) {
			c.t.Errorf("CAP %s %q lacks %s", sub, list, w)
		}
	}
	for _, n := range not {
		if slices.ContainsFunc(caps, func(c string) bool { return c == n || strings.HasPrefix(c, n+"=") }) {
			c.t.Errorf("CAP %s %q lists %s", sub, list, n)
		}
	}
	return caps
}

func port(t testing.TB, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// withDirectTLS turns on the direct-TLS port and an sts policy naming it;
// the duration is 300 s.
func withDirectTLS(cfg *config.Config) {
	cfg.IRC.TLSAddress = "127.0.0.1:0"
	cfg.IRC.STSPort = 6697 // a port number to read back; the bound port is random
	cfg.IRC.STSDuration = config.Duration{Duration: 300 * time.Second}
	cfg.Lab.Transcripts = 50
}

// TestIRCDirectTLSExternal: a client that speaks TLS from the first byte
// to [irc] tls_address, with alice's certificate: CAP LS lists the
// persistence policy and EXTERNAL, never tls; EXTERNAL logs in; the
// welcome says the connection is encrypted; the log and the transcript
// name the irc-tls listener.
func TestIRCDirectTLSExternal(t *testing.T) {
	h := start(t, withDirectTLS, nil)
	h.logs.wait(t, fields{"message": "listening", "proto": "irc", "tls": "direct", "address": h.set.IRC.TLSAddr().String()})
	c := h.dialTLS(t, h.tlsConfig(h.clientCert("alice")))
	c.send("CAP LS 302")
	c.expectCaps("LS", []string{"cap-notify", "sasl=EXTERNAL,PLAIN", "sts=duration=300"}, "tls")
	c.send("STARTTLS")
	c.expect(":localhost 691 * :STARTTLS failed: TLS is already active on this connection")
	c.send("CAP REQ :sasl", "AUTHENTICATE EXTERNAL")
	c.expect(":localhost CAP * ACK :sasl")
	c.expect("AUTHENTICATE +")
	c.send("AUTHENTICATE +")
	c.expect(":localhost 900 * *!*@127.0.0.1 alice :You are now logged in as alice")
	c.expect(":localhost 903 * :SASL authentication successful")
	c.send("CAP END")
	welcome := c.register("alice")
	for _, want := range []string{":localhost NOTICE alice :*** Your connection is encrypted: TLS 1.3, ", ":localhost NOTICE alice :*** You are logged in as alice"} {
		if !slices.ContainsFunc(welcome, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("the welcome lacks %q: %q", want, welcome)
		}
	}
	up := h.logs.wait(t, fields{"message": "TLS established", "conn": c.id})
	if v, _ := up["client_cert_verified"].(bool); !v || !slices.Equal(up.Strs("client_cert_accounts"), []string{"alice"}) {
		t.Errorf("TLS established: %s", up)
	}
	h.logs.wait(t, fields{"message": "authenticated", "conn": c.id, "mechanism": "EXTERNAL", "account": "alice"})
	h.logs.wait(t, fields{"message": "registered", "conn": c.id, "phase": "tls", "account": "alice"})
	c.quit()
	s, _ := h.ended(t, c)
	if s.Listener != "irc-tls" || s.Local != h.set.IRC.TLSAddr().String() || !strings.HasPrefix(s.TLS, "TLS 1.3 ") || s.Identity != "alice" {
		t.Errorf("summary %+v: want the irc-tls listener, TLS 1.3, alice", s)
	}
}

// TestIRCDirectTLSPlaintext: plaintext IRC sent to the direct-TLS port is
// answered, in plaintext, with an ERROR that says what the port expects
// and where plaintext goes.
func TestIRCDirectTLSPlaintext(t *testing.T) {
	h := start(t, withDirectTLS, nil)
	c := h.dialTo(t, h.set.IRC.TLSAddr().String())
	c.send("NICK plain", "USER plain 0 * :plain")
	lines, _ := c.readUntilClosed()
	want := "ERROR :Closing link: 127.0.0.1 (This port expects TLS from the first byte (RFC 7194): connect with TLS, or to port " +
		strconv.Itoa(port(t, h.addr)) + " with STARTTLS)"
	if !slices.Contains(lines, want) {
		t.Errorf("plaintext on the TLS port got %q, want %q", lines, want)
	}
	h.logs.wait(t, fields{"message": "plaintext on the IRC TLS port: refused with an ERROR line", "conn": c.id})
}

// TestIRCTLSOnPlaintextPort: a TLS ClientHello sent to the plaintext port
// (before any line) is recognised: answered with a fatal handshake_failure
// alert the client reads, logged as "TLS sent to the plaintext port" with
// its SNI and ALPN, and recorded in the transcript.
func TestIRCTLSOnPlaintextPort(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.Lab.Transcripts = 50 }, nil)
	c := h.dial(t)
	tc := tls.Client(c.tcp, &tls.Config{ServerName: "localhost", RootCAs: h.Roots, NextProtos: []string{"irc"}})
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	err := tc.Handshake()
	if err == nil || !strings.Contains(err.Error(), "handshake failure") {
		t.Fatalf("handshake with the plaintext port: %v, want the server's alert handshake failure", err)
	}
	e := h.logs.wait(t, fields{"message": "TLS sent to the plaintext port", "conn": c.id, "sni": "localhost"})
	if !slices.Equal(e.Strs("alpn"), []string{"irc"}) {
		t.Errorf("log entry %s: want alpn [irc]", e)
	}
	c.tcp.Close()
	s, tr := h.ended(t, c)
	if !hasRecord(tr, lab.DirEvent, "TLS sent to the plaintext port: a TLS ClientHello (") || !hasRecord(tr, lab.DirEvent, "SNI localhost, ALPN irc) where IRC lines belong; answered with alert handshake_failure") {
		t.Errorf("no event for the ClientHello: %s", tr.MarshalJSONL())
	}
	recs := tr.Records()
	if !slices.ContainsFunc(recs, func(r lab.Record) bool { return r.Dir == lab.DirIn && r.Len > 100 && r.Data[0] == 0x16 }) ||
		!slices.ContainsFunc(recs, func(r lab.Record) bool { return r.Dir == lab.DirOut && r.Data == "\x15\x03\x03\x00\x02\x02\x28" }) {
		t.Errorf("the ClientHello and the alert are not recorded: %s", tr.MarshalJSONL())
	}
	if s.Verdict != lab.NotExercised || s.CloseReason != "client disconnected" {
		t.Errorf("summary %+v: want not exercised, closed by the client", s)
	}
}

// TestIRCSTSAndSASLBeforeTLS: on the plaintext port CAP LS 302 lists sasl
// (EXTERNAL and PLAIN: STARTTLS may make them usable), the upgrade policy
// and tls; PLAIN is refused before TLS with a reason that says to use TLS;
// after STARTTLS cap-notify says tls is gone and what sasl and sts are now,
// and PLAIN logs in.
func TestIRCSTSAndSASLBeforeTLS(t *testing.T) {
	h := start(t, withDirectTLS, nil)
	c := h.dial(t)
	c.send("CAP LS 302")
	c.expectCaps("LS", []string{"cap-notify", "sasl=EXTERNAL,PLAIN", "sts=port=6697", "tls"})
	c.send("CAP REQ :sts")
	c.expect(":localhost CAP * NAK :sts")
	c.send("CAP REQ :sasl", "AUTHENTICATE PLAIN")
	c.expect(":localhost CAP * ACK :sasl")
	c.expect(":localhost 904 * :SASL authentication failed: PLAIN is refused before TLS, where the password would cross the network in the clear: send STARTTLS (or connect to the TLS port) first")
	c.startTLS(h.tlsConfig(nil), "*")
	c.expect(":localhost CAP * DEL :tls")
	c.expect(":localhost CAP * NEW :sasl=PLAIN sts=duration=300")
	c.send("AUTHENTICATE PLAIN")
	c.expect("AUTHENTICATE +")
	c.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-lab-password")))
	c.expect(":localhost 900 * *!*@127.0.0.1 alice :You are now logged in as alice")
	c.expect(":localhost 903 * :SASL authentication successful")
	h.logs.wait(t, fields{"message": "authenticated", "conn": c.id, "mechanism": "PLAIN", "account": "alice"})
	for _, e := range h.logs.all(t, fields{"message": "received", "conn": c.id, "phase": "plaintext"}) {
		if strings.HasPrefix(e.Str("in"), "AUTHENTICATE") && e.Str("in") != "AUTHENTICATE PLAIN" {
			t.Errorf("a SASL payload crossed in plaintext: %s", e)
		}
	}
}

// TestIRCPlaintextPasswordsAllowed: auth.insecure_allow_passwords_without_tls
// lets PLAIN log in before TLS.
func TestIRCPlaintextPasswordsAllowed(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.Auth.InsecureAllowPasswordsWithoutTLS = true }, nil)
	c := h.dial(t)
	c.send("CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
	c.expectCaps("LS", []string{"sasl=EXTERNAL,PLAIN", "tls"})
	c.expect(":localhost CAP * ACK :sasl")
	c.expect("AUTHENTICATE +")
	c.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00alice-lab-password")))
	c.expect(":localhost 900 * *!*@127.0.0.1 alice :You are now logged in as alice")
	c.expect(":localhost 903 * :SASL authentication successful")
	h.logs.wait(t, fields{"message": "authenticated", "conn": c.id, "mechanism": "PLAIN", "account": "alice"})
}
