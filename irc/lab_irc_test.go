package irc_test

// The IRC-only lab profiles (lab/profiles_irc.go) end to end: for each a
// correct and a fooled client over loopback TCP and real TLS, and the
// verdicts their transcripts draw.

import (
	"crypto/tls"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// stsHarness runs the IRC listener under profile with an sts policy of
// its own configured, which the profile must bend.
func stsHarness(t *testing.T, profile string) *harness {
	t.Helper()
	return labHarness(t, func(cfg *config.Config) {
		cfg.IRC.Profile = profile
		cfg.IRC.STSPort = 6697
		cfg.IRC.STSDuration = config.Duration{Duration: 300 * time.Second}
	})
}

// checkVerdict asserts a transcript's profile, verdict and exact flags.
func checkVerdict(t *testing.T, s lab.Summary, listener, profile, verdict string, flags ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(s.Flags))
	want := slices.Sorted(slices.Values(flags))
	if s.Listener != listener || s.Profile != profile || s.Verdict != verdict || !slices.Equal(got, want) {
		t.Errorf("summary %+v\nwant listener %s, profile %s, verdict %s, flags %v", s, listener, profile, verdict, want)
	}
}

// TestIRCLabSTSStripped: neither sts nor tls is listed. A client that
// registers in plaintext went on without TLS; one that asks for STARTTLS
// anyway, one that sends a ClientHello to the plaintext port and one that
// closes refused plaintext.
func TestIRCLabSTSStripped(t *testing.T) {
	h := stsHarness(t, "sts-stripped")

	plain := h.dial(t)
	plain.send("CAP LS 302", "JOIN :")
	plain.expectCaps("LS", []string{"cap-notify"}, "sts", "tls", "sasl")
	plain.expect(":localhost 451 * :You have not registered")
	plain.send("NICK plain", "USER plain 0 * :plain", "CAP END")
	plain.sync()
	plain.quit()
	s, _ := h.ended(t, plain)
	checkVerdict(t, s, "irc", "sts-stripped", lab.Fail, "continued-without-tls")
	if !strings.Contains(s.Reason, "went on in plaintext: CAP") && !strings.Contains(s.Reason, "went on in plaintext") {
		t.Errorf("reason %q", s.Reason)
	}

	anyway := h.dial(t)
	anyway.send("CAP LS 302")
	anyway.expectCaps("LS", []string{"cap-notify"}, "sts", "tls")
	anyway.startTLS(h.tlsConfig(nil), "*")
	anyway.expect(":localhost CAP * NEW :sasl=PLAIN") // and still no sts policy
	anyway.quit()
	s, _ = h.ended(t, anyway)
	checkVerdict(t, s, "irc", "sts-stripped", lab.Pass, "upgraded-anyway")

	hello := h.dial(t)
	if err := tls.Client(hello.tcp, h.tlsConfig(nil)).Handshake(); err == nil || !strings.Contains(err.Error(), "handshake failure") {
		t.Fatalf("TLS to the plaintext port: %v", err)
	}
	hello.tcp.Close()
	s, _ = h.ended(t, hello)
	checkVerdict(t, s, "irc", "sts-stripped", lab.Pass, "refused-plaintext")
	if !strings.Contains(s.Reason, "TLS ClientHello to the plaintext port") {
		t.Errorf("reason %q", s.Reason)
	}

	closer := h.dial(t)
	closer.send("CAP LS 302")
	closer.expectCaps("LS", nil, "sts", "tls")
	closer.quit()
	s, _ = h.ended(t, closer)
	checkVerdict(t, s, "irc", "sts-stripped", lab.Pass, "refused-plaintext")
}

// stsBadPort reads the upgrade policy a plaintext connection is told and
// returns the port it names, after checking that it is a port of its own
// (neither sts_port nor the plaintext port).
func stsBadPort(t *testing.T, h *harness, c *client) string {
	t.Helper()
	c.send("CAP LS 302")
	caps := c.expectCaps("LS", []string{"tls"})
	i := slices.IndexFunc(caps, func(c string) bool { return strings.HasPrefix(c, "sts=port=") })
	if i < 0 {
		t.Fatalf("no upgrade policy in %q", caps)
	}
	p := strings.TrimPrefix(caps[i], "sts=port=")
	if p == "6697" || p == "0" || p == strconv.Itoa(port(t, h.addr)) {
		t.Fatalf("sts=port=%s is not the profile's own TLS port", p)
	}
	return "127.0.0.1:" + p
}

// TestIRCLabSTSBadPort: sts=port= names a TLS port of the listener's own
// whose certificate comes from a CA nobody trusts.
func TestIRCLabSTSBadPort(t *testing.T) {
	t.Run("correct", func(t *testing.T) {
		// It leaves the plaintext connection, refuses the certificate of
		// the sts port, and does not come back in plaintext.
		h := stsHarness(t, "sts-bad-port")
		c := h.dial(t)
		bad := stsBadPort(t, h, c)
		c.quit()
		s, _ := h.ended(t, c)
		checkVerdict(t, s, "irc", "sts-bad-port", lab.Pass, "followed-sts-upgrade")
		up := h.dialTo(t, bad)
		if _, err := up.handshake(h.tlsConfig(nil)); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("handshake with the sts port: %v, want the certificate refused", err)
		}
		up.tcp.Close()
		s, _ = h.ended(t, up)
		checkVerdict(t, s, "irc-tls", "sts-bad-port", lab.Pass, "rejected-bad-certificate")
		if s.ServerCert != lab.FaultDir+"/cert-untrusted-ca.crt" {
			t.Errorf("server certificate %q", s.ServerCert)
		}
	})
	t.Run("accepts the certificate", func(t *testing.T) {
		h := stsHarness(t, "sts-bad-port")
		c := h.dial(t)
		bad := stsBadPort(t, h, c)
		c.quit()
		up := h.dialTo(t, bad)
		if _, err := up.handshake(&tls.Config{InsecureSkipVerify: true}); err != nil {
			t.Fatal(err)
		}
		up.send("CAP LS 302")
		up.expectCaps("LS", []string{"sts=duration=300"}, "tls")
		up.quit()
		s, _ := h.ended(t, up)
		checkVerdict(t, s, "irc-tls", "sts-bad-port", lab.Fail, "accepted-bad-certificate")
	})
	t.Run("falls back to plaintext", func(t *testing.T) {
		// It refuses the certificate, then comes back in plaintext to
		// the same port: correlated with the refused handshake.
		h := stsHarness(t, "sts-bad-port")
		c := h.dial(t)
		bad := stsBadPort(t, h, c)
		c.quit()
		up := h.dialTo(t, bad)
		if _, err := up.handshake(h.tlsConfig(nil)); err == nil {
			t.Fatal("the sts port's certificate verified")
		}
		up.tcp.Close()
		s1, _ := h.ended(t, up)
		again := h.dial(t)
		again.register("again")
		again.quit()
		s, _ := h.ended(t, again)
		checkVerdict(t, s, "irc", "sts-bad-port", lab.Fail, "continued-without-tls", lab.FlagFallbackToPlaintext)
		if s.Correlated != s1.ID {
			t.Errorf("the fallback is not tied to %s: %+v", s1.ID, s)
		}
	})
	t.Run("ignores the policy", func(t *testing.T) {
		h := stsHarness(t, "sts-bad-port")
		c := h.dial(t)
		stsBadPort(t, h, c)
		c.send("CAP END")
		c.register("ignorer")
		c.quit()
		s, _ := h.ended(t, c)
		checkVerdict(t, s, "irc", "sts-bad-port", lab.Fail, "continued-without-tls")
	})
	t.Run("by a tag", func(t *testing.T) {
		// A connection cannot choose it: it needs a port of its own.
		h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
		c := h.dial(t)
		c.send("USER tag+sts-bad-port 0 * :tag", "CAP LS 302")
		c.expectCaps("LS", []string{"tls"}, "sts")
		c.quit()
		s, tr := h.ended(t, c)
		if s.Profile != "" || !hasRecord(tr, lab.DirEvent, "profile sts-bad-port asked for by a username tag, not applied: it needs a port of its own") {
			t.Errorf("summary %+v: %s", s, tr.MarshalJSONL())
		}
	})
}

// TestIRCLabSASLBeforeTLS: under sasl-before-tls-irc AUTHENTICATE PLAIN in
// plaintext is answered with "AUTHENTICATE +" as bait. A client that asks
// for STARTTLS first passes; one that sends its password fails, and the
// password is refused unread and kept nowhere.
func TestIRCLabSASLBeforeTLS(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "sasl-before-tls-irc" })

	good := h.dial(t)
	good.send("CAP LS 302")
	good.expectCaps("LS", []string{"sasl=EXTERNAL,PLAIN", "tls"})
	good.startTLS(h.tlsConfig(nil), "*")
	good.expect(":localhost CAP * DEL :tls")
	good.expect(":localhost CAP * NEW :sasl=PLAIN")
	good.quit()
	s, _ := h.ended(t, good)
	checkVerdict(t, s, "irc", "sasl-before-tls-irc", lab.Pass, "ignored-plaintext-sasl")

	bad := h.dial(t)
	bad.send("CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
	bad.expectCaps("LS", []string{"sasl=EXTERNAL,PLAIN", "tls"})
	bad.expect(":localhost CAP * ACK :sasl")
	bad.expect("AUTHENTICATE +")
	bad.send("AUTHENTICATE " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+labSecret)))
	bad.expect(":localhost 904 * :SASL authentication failed: encryption required: PLAIN before TLS is a lab profile's bait, and the password was not checked")
	bad.quit()
	s, tr := h.ended(t, bad)
	checkVerdict(t, s, "irc", "sasl-before-tls-irc", lab.Fail, lab.FlagPlaintextCredentials)
	if !hasRecord(tr, lab.DirIn, "AUTHENTICATE [redacted]") {
		t.Errorf("the payload is not recorded redacted: %s", tr.MarshalJSONL())
	}
	h.noSecrets(t, labSecret)
}
