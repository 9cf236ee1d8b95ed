package irc_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// TestIRCLabPlaintextAfterFailedHandshake: the client refuses the
// self-signed certificate after 670, then registers in plaintext on the
// same socket, with a PASS. The server had closed its side and listened
// ([lab] listen_after_failure): the refusal passes, the plaintext fails
// the connection, and the password is not kept.
func TestIRCLabPlaintextAfterFailedHandshake(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "cert-self-signed" })
	c := h.dial(t)
	c.send("STARTTLS")
	c.expect(want670)
	if _, err := c.handshake(h.tlsConfig(nil)); err == nil {
		t.Fatal("the client accepted a self-signed certificate")
	}
	c.write("PASS late-secret\r\nNICK late\r\nUSER late 0 * :late\r\n")
	time.Sleep(50 * time.Millisecond)
	c.tcp.Close()
	s, tr := h.ended(t, c)
	for _, f := range []string{"rejected-bad-certificate", lab.FlagFallbackToPlaintext, lab.FlagPlaintextCredentials} {
		if !slices.Contains(s.Flags, f) {
			t.Errorf("flags %v lack %s", s.Flags, f)
		}
	}
	if s.Verdict != lab.Fail || s.Alert != "bad_certificate" {
		t.Errorf("verdict %s (%s), alert %q", s.Verdict, s.Reason, s.Alert)
	}
	if strings.Contains(string(tr.MarshalJSONL()), "late-secret") {
		t.Error("the transcript keeps the PASS sent after the handshake")
	}
}
