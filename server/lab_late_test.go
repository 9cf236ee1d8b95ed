package server_test

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// lateLogin is what sendxmpp sends on the same socket after its TLS
// library gave up: a new stream and a jabber:iq:auth login, password in
// the clear.
const lateLogin = "<?xml version='1.0' encoding='UTF-8'?>" + rfcHeader +
	"<iq type='set' id='auth1'><query xmlns='jabber:iq:auth'><username>alice</username><password>late-secret</password><resource>r</resource></query></iq>"

// readTagsUntil reads tag by tag until one contains want.
func (c *client) readTagsUntil(want string) {
	c.t.Helper()
	for i := 0; i < 64; i++ {
		if strings.Contains(c.readTag(), want) {
			return
		}
	}
	c.t.Fatalf("no tag with %q in 64 tags", want)
}

// labAskTLS opens a connection to h that opens its stream and asks for
// STARTTLS; the caller reads the answer.
func labAskTLS(t *testing.T, h *harness) *client {
	c := h.dial(t)
	c.send(rfcHeader)
	c.readTagsUntil("</stream:features>")
	c.send(rfcStartTLS)
	return c
}

// goOnInPlaintext sends the late login on c's socket and hangs up, and
// returns the connection's transcript once it ended.
func goOnInPlaintext(t *testing.T, h *harness, c *client) *lab.Transcript {
	c.send(lateLogin)
	time.Sleep(50 * time.Millisecond) // the login in its own segments, as a client that goes on would
	c.tcp.Close()
	return h.labTranscript(t, c.remote)
}

// TestLabPlaintextAfterRefusal: under fail-starttls the server refuses and
// closes the stream, then keeps listening ([lab] listen_after_failure); a
// client that goes on in plaintext on the same socket is seen, judged a
// fallback with credentials in the clear, and its password is not kept.
func TestLabPlaintextAfterRefusal(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Listen[0].Profile = "fail-starttls" })
	c := labAskTLS(t, h)
	c.readTagsUntil(closeTag)
	tr := goOnInPlaintext(t, h, c)
	s := tr.Summary()
	if s.Verdict != lab.Fail || !slices.Contains(s.Flags, lab.FlagFallbackToPlaintext) || !slices.Contains(s.Flags, lab.FlagPlaintextCredentials) {
		t.Errorf("verdict %s (%s), flags %v: want a fallback with plaintext credentials", s.Verdict, s.Reason, s.Flags)
	}
	if strings.Contains(string(tr.MarshalJSONL()), "late-secret") {
		t.Error("the transcript keeps the password sent after the refusal")
	}
	if !hasEvent(tr, "the client went on sending after the refused STARTTLS") {
		t.Errorf("no late-input event: %s", tr.MarshalJSONL())
	}
}

// TestLabPlaintextAfterFailedHandshake: the client refuses the
// self-signed certificate (its alert is named), then — like sendxmpp, whose
// TLS library failed while the client logged "secure" — goes on in
// plaintext on the same socket. The refusal passes, the plaintext fails
// the connection.
func TestLabPlaintextAfterFailedHandshake(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Listen[0].Profile = "cert-self-signed" })
	c := labAskTLS(t, h)
	c.expect(rfcProceed)
	tc := tls.Client(c.tcp, h.tlsConfig(nil)) // verifies: refuses the self-signed certificate
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err == nil {
		t.Fatal("the client accepted a self-signed certificate")
	}
	tr := goOnInPlaintext(t, h, c)
	s := tr.Summary()
	want := []string{"rejected-bad-certificate", lab.FlagFallbackToPlaintext, lab.FlagPlaintextCredentials}
	for _, f := range want {
		if !slices.Contains(s.Flags, f) {
			t.Errorf("flags %v lack %s", s.Flags, f)
		}
	}
	if s.Verdict != lab.Fail || s.Alert != "bad_certificate" || s.SNI != "localhost" {
		t.Errorf("verdict %s (%s), alert %q, SNI %q: want fail, bad_certificate, the SNI kept", s.Verdict, s.Reason, s.Alert, s.SNI)
	}
	if strings.Contains(string(tr.MarshalJSONL()), "late-secret") {
		t.Error("the transcript keeps the password sent after the handshake")
	}
}

// TestLabCertificateCheckedAfterHandshake: like mcabber (loudmouth over
// GnuTLS), the client completes the handshake, then checks the certificate
// and hangs up without sending a byte over TLS: that is a refusal, not an
// acceptance. A client that sends its stream header over TLS accepted.
func TestLabCertificateCheckedAfterHandshake(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Listen[0].Profile = "cert-expired" })
	for _, sendData := range []bool{false, true} {
		c := labAskTLS(t, h)
		c.expect(rfcProceed)
		cfg := h.tlsConfig(nil)
		cfg.InsecureSkipVerify = true // the check comes after, as loudmouth's does
		c.upgrade(cfg)
		if sendData {
			c.send(rfcHeader)
			c.readTag()
		}
		_ = c.conn.(*tls.Conn).Close()
		tr := h.labTranscript(t, c.remote)
		s := tr.Summary()
		want, verdict := "rejected-bad-certificate", lab.Pass
		if sendData {
			want, verdict = "accepted-bad-certificate", lab.Fail
		}
		if !slices.Equal(s.Flags, []string{want}) || s.Verdict != verdict {
			t.Errorf("data over TLS %v: flags %v verdict %s (%s), want %s %s", sendData, s.Flags, s.Verdict, s.Reason, want, verdict)
		}
	}
}

func hasEvent(tr *lab.Transcript, prefix string) bool {
	for _, r := range tr.Records() {
		if r.Dir == lab.DirEvent && strings.HasPrefix(r.Data, prefix) {
			return true
		}
	}
	return false
}

// TestLabPlaintextAfterTLSEnded: like sendxmpp under cert-revoked-ocsp,
// the client refuses the certificate after the handshake completed, ends
// TLS (close_notify) and goes on in plaintext on the same socket: the
// server listens past the end of TLS, and the refusal does not hide the
// fallback.
func TestLabPlaintextAfterTLSEnded(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Listen[0].Profile = "cert-expired" })
	c := labAskTLS(t, h)
	c.expect(rfcProceed)
	cfg := h.tlsConfig(nil)
	cfg.InsecureSkipVerify = true // the check comes after the handshake
	c.upgrade(cfg)
	if err := c.conn.(*tls.Conn).CloseWrite(); err != nil { // close_notify, the TCP stays open
		t.Fatal(err)
	}
	c.conn = c.tcp // what follows is plaintext on the socket
	// After its refusal, not in the same segment as the close_notify
	// (bytes read with it would stay in the TLS connection's buffer).
	time.Sleep(50 * time.Millisecond)
	tr := goOnInPlaintext(t, h, c)
	s := tr.Summary()
	if s.Verdict != lab.Fail || !slices.Contains(s.Flags, lab.FlagFallbackToPlaintext) || !slices.Contains(s.Flags, lab.FlagPlaintextCredentials) {
		t.Errorf("verdict %s (%s), flags %v: want the fallback after the end of TLS\n%s", s.Verdict, s.Reason, s.Flags, tr.MarshalJSONL())
	}
	if strings.Contains(string(tr.MarshalJSONL()), "late-secret") {
		t.Error("the transcript keeps the password sent after TLS ended")
	}
}
