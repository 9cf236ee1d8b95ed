package irc_test

// Lab profiles on the IRC listener, end to end over loopback TCP and real
// TLS: for each profile a correct and a fooled client, what they see on
// the wire, and the transcript's summary and verdict flags. The helpers
// are in lab_helpers_test.go.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// TestIRCLabStripStartTLS: no tls capability and STARTTLS → 421. A client
// that pipelined NICK and USER with CAP LS and quits on the stripped list
// aborted; one that registers in plaintext (with a PASS and a SASL payload
// in the clear) continued, and neither password reaches a record.
func TestIRCLabStripStartTLS(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "strip-starttls" })

	good := h.dial(t)
	good.send("CAP LS 302", "NICK good", "USER good 0 * :Good")
	good.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=PLAIN")
	good.send("STARTTLS")
	good.expect(":localhost 421 good STARTTLS :Unknown command")
	good.quit()
	s, tr := h.ended(t, good)
	checkSummary(t, s, "strip-starttls", lab.ByListener, "none", "aborted-on-strip")
	if !hasRecord(tr, lab.DirEvent, "STARTTLS refused: STARTTLS stripped") {
		t.Errorf("no record of the stripped STARTTLS: %+v", tr.Records())
	}

	bad := h.dial(t)
	bad.send("CAP LS 302")
	bad.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=PLAIN")
	bad.send("PASS "+labSecret, "AUTHENTICATE PLAIN", "AUTHENTICATE "+base64.StdEncoding.EncodeToString([]byte("\x00bad\x00"+labSecret)),
		"NICK bad", "USER bad 0 * :Bad", "CAP END")
	welcome := bad.sync()
	if !slices.Contains(welcome, ":localhost NOTICE bad :*** Your connection is not encrypted") {
		t.Errorf("welcome %q", welcome)
	}
	bad.quit()
	s, tr = h.ended(t, bad)
	checkSummary(t, s, "strip-starttls", lab.ByListener, "none", "continued-without-tls", lab.FlagPlaintextCredentials)
	if !hasRecord(tr, lab.DirIn, "PASS [redacted]") || !hasRecord(tr, lab.DirIn, "AUTHENTICATE [redacted]") || !hasRecord(tr, lab.DirIn, "AUTHENTICATE PLAIN") {
		t.Errorf("the redacted lines are not recorded: %s", tr.MarshalJSONL())
	}
	if !hasRecord(tr, lab.DirOut, ":localhost 001 bad ") {
		t.Errorf("the welcome is not recorded")
	}
	h.noSecrets(t, labSecret)
}

// TestIRCLabFailStartTLS: the tls capability is listed, STARTTLS gets 691
// saying it is a lab refusal; the profile comes from a +tag in USER, which
// the nick!user shows without. Registering in plaintext afterwards, on the
// same connection or a new one from the same address, falls back.
func TestIRCLabFailStartTLS(t *testing.T) {
	const want691 = ":localhost 691 %s :STARTTLS failed: refused on purpose (lab profile fail-starttls)"
	refused := func(h *harness, nick string) *client {
		c := h.dial(t)
		c.send("CAP LS 302", "NICK "+nick, "USER "+nick+"+fail-starttls 0 * :"+nick)
		c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
		c.send("STARTTLS")
		c.expect(strings.Replace(want691, "%s", nick, 1))
		return c
	}
	t.Run("good", func(t *testing.T) {
		h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
		good := refused(h, "good")
		good.quit()
		s, tr := h.ended(t, good)
		checkSummary(t, s, "fail-starttls", lab.ByUsername, "none", "stopped-after-refusal")
		if !hasRecord(tr, lab.DirIn, "USER good+fail-starttls 0 * :good") || !hasRecord(tr, lab.DirEvent, "STARTTLS refused: STARTTLS failed: refused on purpose") {
			t.Errorf("records: %s", tr.MarshalJSONL())
		}
	})
	t.Run("same connection", func(t *testing.T) {
		h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
		bad := refused(h, "bad")
		bad.send("CAP END")
		bad.expect(":localhost 001 bad :Welcome to the jabberd IRC network, bad!bad@127.0.0.1")
		bad.quit()
		s, _ := h.ended(t, bad)
		checkSummary(t, s, "fail-starttls", lab.ByUsername, "none", lab.FlagFallbackToPlaintext)
	})
	t.Run("new connection", func(t *testing.T) {
		h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
		first := refused(h, "first")
		first.quit()
		h.ended(t, first)
		again := h.dial(t)
		again.register("again")
		again.quit()
		s, _ := h.ended(t, again)
		// The shared port: nothing ties this client to the refused one
		// (it could be anyone behind the same address), so no fallback is
		// charged to it.
		checkSummary(t, s, "", lab.ByListener, "none")
		if s.Verdict != lab.NotExercised || s.Correlated != "" {
			t.Errorf("a plaintext client on the shared port was judged %s (correlated %q)", s.Verdict, s.Correlated)
		}
	})
	t.Run("new connection to the profile's port", func(t *testing.T) {
		h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "fail-starttls" })
		first := h.dial(t)
		first.send("CAP LS 302", "NICK first", "USER first 0 * :first")
		first.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
		first.send("STARTTLS")
		first.expect(strings.Replace(want691, "%s", "first", 1))
		first.quit()
		s1, _ := h.ended(t, first)
		again := h.dial(t)
		again.register("again")
		again.quit()
		s, _ := h.ended(t, again)
		checkSummary(t, s, "fail-starttls", lab.ByListener, "none", lab.FlagFallbackToPlaintext)
		if s.Correlated != s1.ID || s.Verdict != lab.Fail || !strings.Contains(s.Reason, "correlated with "+s1.ID) {
			t.Errorf("the fallback is not tied to %s: %+v", s1.ID, s)
		}
	})
}

// TestIRCLabInjectAfterProceed: 670 and the injected PING arrive in one
// read. A client that drops what it read past 670 completes TLS and never
// answers the PING; one that answers it — over TLS, or in plaintext where
// the handshake belongs — accepted injected data.
func TestIRCLabInjectAfterProceed(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "inject-after-proceed" })
	proceed := func() *client {
		c := h.dial(t)
		c.send("STARTTLS")
		buf := make([]byte, 4096)
		_ = c.tcp.SetReadDeadline(time.Now().Add(ioTimeout))
		n, err := c.tcp.Read(buf)
		if got, want := string(buf[:n]), want670+"\r\n"+"PING :"+lab.InjectedMechanism+"\r\n"; err != nil || got != want {
			t.Fatalf("first read after STARTTLS: %q, %v; want %q in one read", got, err, want)
		}
		return c
	}

	// The correct client logs in with SASL PLAIN over TLS: the
	// transcript has the mechanism and the identity, not the password.
	const password = "alice-lab-password"
	good := proceed()
	if _, err := good.handshake(h.tlsConfig(nil)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	good.send("CAP LS 302")
	good.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=PLAIN")
	good.send("CAP REQ sasl", "AUTHENTICATE PLAIN")
	good.expect(":localhost CAP * ACK :sasl")
	good.expect("AUTHENTICATE +")
	good.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+password)))
	good.expect(":localhost 900 * *!*@127.0.0.1 alice :You are now logged in as alice")
	good.expect(":localhost 903 * :SASL authentication successful")
	good.send("CAP END")
	good.register("good")
	good.quit()
	s, tr := h.ended(t, good)
	checkSummary(t, s, "inject-after-proceed", lab.ByListener, "TLS 1.3 ", "discarded-injected-data")
	if s.Mechanism != "PLAIN" || s.Identity != "alice" || s.ClientCert != "none" || tr.Phase() != lab.PhaseAuthenticated {
		t.Errorf("summary %+v, phase %s: want PLAIN as alice, no client certificate, authenticated", s, tr.Phase())
	}

	overTLS := proceed()
	if _, err := overTLS.handshake(h.tlsConfig(nil)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	overTLS.send("PONG :" + lab.InjectedMechanism)
	overTLS.register("fooled")
	overTLS.quit()
	s, _ = h.ended(t, overTLS)
	checkSummary(t, s, "inject-after-proceed", lab.ByListener, "TLS 1.3 ", lab.FlagAcceptedInjectedData)

	plain := proceed()
	plain.write("PONG :" + lab.InjectedMechanism + "\r\n")
	if _, err := plain.handshake(h.tlsConfig(nil)); err == nil {
		t.Fatalf("the handshake after a plaintext PONG succeeded")
	}
	plain.tcp.Close()
	s, tr = h.ended(t, plain)
	checkSummary(t, s, "inject-after-proceed", lab.ByListener, "failed: ", lab.FlagAcceptedInjectedData, "acted-on-injected-data")
	if !hasRecord(tr, lab.DirIn, "PONG :"+lab.InjectedMechanism) || !hasRecord(tr, lab.DirOut, "PING :"+lab.InjectedMechanism) {
		t.Errorf("records: %s", tr.MarshalJSONL())
	}
	h.noSecrets(t, password)
}

// TestIRCLabCertExpiredBySNI: SNI cert-expired.localhost picks the
// profile; the handshake presents an expired certificate. A client that
// checks it refuses the handshake; one that does not registers over it.
func TestIRCLabCertExpiredBySNI(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
	const sni = "cert-expired.localhost"

	good := h.dial(t)
	good.startTLSRequest()
	_, err := good.handshake(&tls.Config{ServerName: sni, InsecureSkipVerify: true, VerifyConnection: verifyAs(h.Roots, "localhost")})
	var inv x509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("handshake: %v, want an expired certificate", err)
	}
	good.tcp.Close()
	s, _ := h.ended(t, good)
	checkSummary(t, s, "cert-expired", lab.BySNI, "failed: ", "rejected-bad-certificate")

	bad := h.dial(t)
	bad.startTLSRequest()
	cs, err := bad.handshake(&tls.Config{ServerName: sni, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if leaf := cs.PeerCertificates[0]; !time.Now().After(leaf.NotAfter) {
		t.Errorf("the certificate presented is valid until %v", leaf.NotAfter)
	}
	bad.register("bad")
	bad.quit()
	s, _ = h.ended(t, bad)
	checkSummary(t, s, "cert-expired", lab.BySNI, "TLS 1.3 ", "accepted-bad-certificate")
	if s.SNI != sni {
		t.Errorf("SNI %q, want %q", s.SNI, sni)
	}
}

// TestIRCLabTLS10Only: the handshake offers TLS 1.0 only. A client that
// keeps Go's default minimum (TLS 1.2) refuses it; one that allows TLS 1.0
// goes on.
func TestIRCLabTLS10Only(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "tls10-only" })

	good := h.dial(t)
	good.startTLSRequest()
	if _, err := good.handshake(h.tlsConfig(nil)); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("handshake: %v, want a protocol version failure", err)
	}
	good.tcp.Close()
	s, _ := h.ended(t, good)
	checkSummary(t, s, "tls10-only", lab.ByListener, "failed: ", "rejected-weak-tls")

	bad := h.dial(t)
	bad.startTLSRequest()
	cfg := h.tlsConfig(nil)
	cfg.MinVersion = tls.VersionTLS10
	cs, err := bad.handshake(cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if cs.Version != tls.VersionTLS10 {
		t.Errorf("negotiated %s", tls.VersionName(cs.Version))
	}
	bad.register("bad")
	bad.quit()
	s, _ = h.ended(t, bad)
	checkSummary(t, s, "tls10-only", lab.ByListener, "TLS 1.0 ", "accepted-weak-tls")
}

// TestIRCLabSlowHandshake: the ServerHello waits [lab]
// slow_handshake_delay. A client whose own timeout is shorter gives up; one
// that waits longer completes.
func TestIRCLabSlowHandshake(t *testing.T) {
	const delay = 300 * time.Millisecond
	h := labHarness(t, func(cfg *config.Config) {
		cfg.IRC.Profile = "slow-handshake"
		cfg.Lab.SlowHandshakeDelay = config.Duration{Duration: delay}
	})

	quick := h.dial(t)
	quick.startTLSRequest()
	tc := tls.Client(quick.tcp, h.tlsConfig(nil))
	_ = quick.tcp.SetDeadline(time.Now().Add(delay / 3))
	if err := tc.Handshake(); err == nil {
		t.Fatalf("the handshake completed before the delay")
	}
	quick.tcp.Close()
	s, _ := h.ended(t, quick)
	checkSummary(t, s, "slow-handshake", lab.ByListener, "failed: ", "gave-up-on-slow-handshake")

	patient := h.dial(t)
	patient.startTLSRequest()
	began := time.Now()
	if _, err := patient.handshake(h.tlsConfig(nil)); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if took := time.Since(began); took < delay {
		t.Errorf("the handshake took %v, less than the delay %v", took, delay)
	}
	patient.register("patient")
	patient.quit()
	s, _ = h.ended(t, patient)
	checkSummary(t, s, "slow-handshake", lab.ByListener, "TLS 1.3 ", "waited-for-slow-handshake")
}

// TestIRCLabSelectors: a +tag in USER overrides the listener's profile,
// SNI overrides the tag, and a tag naming an XMPP-only profile is taken
// off the user name but changes nothing.
func TestIRCLabSelectors(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) {
		cfg.IRC.Profile = "fail-starttls"
		cfg.Lab.ClientChoice = true
	})

	c := h.dial(t)
	c.send("CAP LS 302", "NICK sel", "USER sel+inject-after-proceed 0 * :sel", "STARTTLS")
	c.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
	c.expect(":localhost 670 sel :STARTTLS successful, proceed with TLS handshake")
	c.expect("PING :" + lab.InjectedMechanism) // the username's profile is in force
	if _, err := c.handshake(&tls.Config{ServerName: "cert-expired.localhost", InsecureSkipVerify: true}); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.expect(":localhost CAP sel DEL :tls")
	c.expect(":localhost CAP sel NEW :sasl=PLAIN")
	c.send("CAP END")
	c.expect(":localhost 001 sel :Welcome to the jabberd IRC network, sel!sel@127.0.0.1")
	c.quit()
	s, tr := h.ended(t, c)
	checkSummary(t, s, "cert-expired", lab.BySNI, "TLS 1.3 ", "accepted-bad-certificate")
	for _, want := range []string{"profile fail-starttls (selected by listener)", "profile inject-after-proceed (selected by username)", "profile cert-expired (selected by sni)"} {
		if !hasRecord(tr, lab.DirEvent, want) {
			t.Errorf("no event %q: %s", want, tr.MarshalJSONL())
		}
	}

	x := h.dial(t)
	x.send("CAP LS 302", "NICK xo", "USER xo+sasl-before-tls 0 * :xo", "STARTTLS")
	x.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl=EXTERNAL,PLAIN tls")
	x.expect(":localhost 691 xo :STARTTLS failed: refused on purpose (lab profile fail-starttls)")
	x.send("CAP END")
	x.expect(":localhost 001 xo :Welcome to the jabberd IRC network, xo!xo@127.0.0.1")
	x.quit()
	s, tr = h.ended(t, x)
	checkSummary(t, s, "fail-starttls", lab.ByListener, "none", lab.FlagFallbackToPlaintext)
	if !hasRecord(tr, lab.DirEvent, "profile sasl-before-tls (selected by username) does not apply to IRC") {
		t.Errorf("records: %s", tr.MarshalJSONL())
	}
}
