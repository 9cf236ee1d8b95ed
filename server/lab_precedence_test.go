package server_test

// The lab's profile selectors against each other (TestLabSelectorPrecedence):
// SNI beats the username tag, which beats the listener, over STARTTLS and
// over direct TLS.

import (
	"bytes"
	"crypto/tls"
	"testing"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/tlspolicy"
)

// TestLabSelectorPrecedence: SNI beats the username tag, which beats the
// listener; and once SNI chose, a tag no longer changes anything.
func TestLabSelectorPrecedence(t *testing.T) {
	t.Run("starttls", func(t *testing.T) {
		t.Parallel()
		h := start(t, func(c *config.Config) { c.Listen[0].Profile = "strip-starttls" })
		run := &labRun{}
		w, err := dialLab(run, h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer w.tcp.Close()
		tr := h.labTranscript(t, w.st.local, true)
		if s := tr.Summary(); s.Profile != "strip-starttls" || s.SelectedBy != lab.ByListener {
			t.Fatalf("before the header: %q by %q", s.Profile, s.SelectedBy)
		}
		// The tag asks for sasl-before-tls, which offers STARTTLS again.
		f, err := w.open("alice+sasl-before-tls@localhost")
		if err != nil {
			t.Fatal(err)
		}
		labWantBait(t, f.raw)
		if s := tr.Summary(); s.Profile != "sasl-before-tls" || s.SelectedBy != lab.ByUsername {
			t.Fatalf("after the header: %q by %q", s.Profile, s.SelectedBy)
		}
		if err := w.send(rfcStartTLS); err != nil {
			t.Fatal(err)
		}
		if ans, err := w.nextElement(); err != nil || ans.el.Tag != "proceed" {
			t.Fatalf("STARTTLS answered %q, %v", ans.raw, err)
		}
		cfg := &tls.Config{ServerName: "cert-expired.localhost", InsecureSkipVerify: true}
		if err := w.startTLS(run, cfg, false, ioTimeout); err != nil {
			t.Fatal(err)
		}
		if leaf := run.tls.PeerCertificates[0]; !bytes.Equal(leaf.Raw, labFaultCert(t, h, "cert-expired").Raw) {
			t.Errorf("presented %q valid until %v, not the expired certificate", leaf.Subject, leaf.NotAfter)
		}
		// A tag after SNI chose is not applied, and the transcript says so.
		if _, err := w.open("alice+strip-starttls@localhost"); err != nil {
			t.Fatal(err)
		}
		w.closeStream()
		tr = h.labTranscript(t, w.st.local)
		sum := tr.Summary()
		if sum.Profile != "cert-expired" || sum.SelectedBy != lab.BySNI || sum.SNI != "cert-expired.localhost" {
			t.Errorf("profile %q selected by %q (SNI %q), want cert-expired by sni", sum.Profile, sum.SelectedBy, sum.SNI)
		}
		if want := []string{"ignored-plaintext-sasl", "accepted-bad-certificate"}; !labSameFlags(sum.Flags, want) {
			t.Errorf("flags %q, want %q", sum.Flags, want)
		}
		labWantChoices(t, tr, "strip-starttls (selected by listener)", "sasl-before-tls (selected by username)", "cert-expired (selected by sni)",
			"strip-starttls asked for by a username tag, not applied: the TLS server name already chose cert-expired, and SNI wins")
		labCheckRecords(t, tr, w.st)
	})
	t.Run("direct-tls", func(t *testing.T) {
		t.Parallel()
		h := start(t, func(c *config.Config) {
			c.Listen[0].TLS = tlspolicy.Direct
			c.Listen[0].Profile = "strip-starttls"
		})
		run := &labRun{}
		w, err := dialLab(run, h.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer w.tcp.Close()
		cfg := &tls.Config{ServerName: "cert-expired.localhost", InsecureSkipVerify: true, NextProtos: []string{"xmpp-client"}}
		if err := w.startTLS(run, cfg, false, ioTimeout); err != nil {
			t.Fatal(err)
		}
		if leaf := run.tls.PeerCertificates[0]; !bytes.Equal(leaf.Raw, labFaultCert(t, h, "cert-expired").Raw) {
			t.Errorf("presented %q valid until %v, not the expired certificate", leaf.Subject, leaf.NotAfter)
		}
		if _, err := w.open("alice+sasl-before-tls@localhost"); err != nil {
			t.Fatal(err)
		}
		w.closeStream()
		tr := h.labTranscript(t, w.st.local)
		sum := tr.Summary()
		if sum.Profile != "cert-expired" || sum.SelectedBy != lab.BySNI || sum.Listener != "xmpp-direct" {
			t.Errorf("profile %q selected by %q on %q, want cert-expired by sni on xmpp-direct", sum.Profile, sum.SelectedBy, sum.Listener)
		}
		if want := []string{"accepted-bad-certificate"}; !labSameFlags(sum.Flags, want) {
			t.Errorf("flags %q, want %q", sum.Flags, want)
		}
		labWantChoices(t, tr, "strip-starttls (selected by listener)", "cert-expired (selected by sni)",
			"sasl-before-tls asked for by a username tag, not applied: the TLS server name already chose cert-expired, and SNI wins")
		labCheckRecords(t, tr, w.st)
	})
}
