package irc_test

// Helpers of the IRC lab tests (lab_test.go): a server with transcripts
// on, the assertions on a transcript's summary, records and secrets, and
// the client steps (STARTTLS, the handshake, QUIT).

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

const (
	// labSecret is the password the clients give in the clear; no record
	// of any transcript may hold it, nor its base64.
	labSecret = "s3cret-Pa55word"
	want670   = ":localhost 670 * :STARTTLS successful, proceed with TLS handshake"
)

// labHarness runs jabberd with transcripts on; mod sets the profile or
// client choice.
func labHarness(t *testing.T, mod func(*config.Config)) *harness {
	t.Helper()
	return start(t, func(cfg *config.Config) {
		cfg.Lab.Transcripts = 50
		if mod != nil {
			mod(cfg)
		}
	}, nil)
}

// ended returns the summary of c's transcript once the connection ended.
func (h *harness) ended(t *testing.T, c *client) (lab.Summary, *lab.Transcript) {
	t.Helper()
	if !strings.HasPrefix(c.id, "i") {
		t.Fatalf("IRC connection id %q does not start with i", c.id)
	}
	deadline := time.Now().Add(ioTimeout)
	for {
		tr, ok := h.set.Lab.Get(c.id)
		if ok && !tr.Summary().Live {
			return tr.Summary(), tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("transcript %s: ok=%v, still live after %v", c.id, ok, ioTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkSummary asserts a transcript's summary: listener and dialect irc,
// the profile and its selector, TLS starting with tlsPrefix, and exactly
// the flags given (in any order).
func checkSummary(t *testing.T, s lab.Summary, profile, by, tlsPrefix string, flags ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(s.Flags))
	want := slices.Sorted(slices.Values(flags))
	if s.Listener != "irc" || s.Dialect != "irc" || s.Profile != profile || s.SelectedBy != by ||
		!strings.HasPrefix(s.TLS, tlsPrefix) || !slices.Equal(got, want) || s.CloseReason == "" {
		t.Errorf("summary %+v\nwant profile %q selected by %q, TLS %q…, flags %v, a close reason", s, profile, by, tlsPrefix, want)
	}
}

// noSecrets fails if any transcript record, or the log, holds one of
// the passwords, or the SASL PLAIN payload that carries it.
func (h *harness) noSecrets(t *testing.T, passwords ...string) {
	t.Helper()
	var secrets []string
	for _, pw := range passwords {
		secrets = append(secrets, pw,
			base64.StdEncoding.EncodeToString([]byte("\x00bad\x00"+pw)),
			base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+pw)))
	}
	for _, s := range h.set.Lab.List() {
		tr, _ := h.set.Lab.Get(s.ID)
		text := string(tr.MarshalJSONL())
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("transcript %s holds the secret %q:\n%s", s.ID, secret, text)
			}
		}
	}
	for _, secret := range secrets {
		if strings.Contains(h.logs.text(), secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
}

// hasRecord reports whether a record of dir holds text.
func hasRecord(tr *lab.Transcript, dir, text string) bool {
	return slices.ContainsFunc(tr.Records(), func(r lab.Record) bool { return r.Dir == dir && strings.Contains(r.Data, text) })
}

// quit ends a client's connection and reads to the end.
func (c *client) quit() {
	c.t.Helper()
	c.send("QUIT")
	if lines, _ := c.readUntilClosed(); len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "ERROR :Closing link") {
		c.t.Errorf("QUIT: got %q", lines)
	}
	c.tcp.Close()
}

// handshake runs a client handshake on the raw TCP connection (whatever
// was read past 670 is dropped, as a correct client does) and switches the
// client to TLS when it succeeds.
func (c *client) handshake(cfg *tls.Config) (tls.ConnectionState, error) {
	tc := tls.Client(c.tcp, cfg)
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		return tls.ConnectionState{}, err
	}
	_ = c.tcp.SetDeadline(time.Time{})
	c.conn, c.r = tc, bufio.NewReader(tc)
	return tc.ConnectionState(), nil
}

// verifyAs is a correct client's check when SNI names a lab profile: the
// chain must verify for the name it means (localhost), dates included.
func verifyAs(roots *x509.CertPool, name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots, Intermediates: inter})
		return err
	}
}

// startTLSRequest sends STARTTLS and reads 670, and nothing after it.
func (c *client) startTLSRequest() {
	c.t.Helper()
	c.send("STARTTLS")
	c.expect(want670)
	if n := c.r.Buffered(); n != 0 {
		c.t.Fatalf("%d bytes buffered after 670", n)
	}
}
