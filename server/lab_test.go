package server_test

// The lab target end to end: for every profile, the careful client and the
// naive one (labclient_test.go) against a real server over loopback, with
// real TLS, and the verdict flags the transcript draws for each.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/config"
	"jabberd/lab"
)

// labSlowDelay is the slow-handshake profile's delay in these tests; the
// careful client gives up long before it, the naive one waits it out.
const (
	labSlowDelay        = 1500 * time.Millisecond
	labHandshakeTimeout = 300 * time.Millisecond
)

// labCase is one profile, how the test selects it, and what each client
// must earn.
type labCase struct {
	profile string
	by      string // lab.ByListener, lab.ByUsername or lab.BySNI
	cert    bool   // the clients hold alice's certificate (for EXTERNAL)
	// good and bad are the exact flags of each connection the careful and
	// the naive client make, in order.
	good, bad [][]string
	// goodWire and badWire check what the client saw on the wire.
	goodWire, badWire func(t *testing.T, h *harness, run *labRun)
}

func labCases() []labCase {
	return []labCase{
		{
			profile: "strip-starttls", by: lab.ByUsername,
			good: [][]string{{"aborted-on-strip"}},
			bad:  [][]string{{lab.FlagPlaintextCredentials, "continued-without-tls"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantErr(t, run, errLabNoStartTLS)
				labWantStripped(t, run.features[0])
				if len(run.mechanisms) != 0 || run.handshake != 0 {
					t.Errorf("the careful client went on: mechanisms %v, handshake %v", run.mechanisms, run.handshake)
				}
				// Nothing but the header and the close came from it.
				if got := labClientData(t, h, run.conns[0]); len(got) != 2 || !strings.HasPrefix(got[0], "<stream:stream ") || got[1] != closeTag {
					t.Errorf("the careful client sent %q, want its header and %s only", got, closeTag)
				}
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantStripped(t, run.features[0])
				labWantTried(t, run, "PLAIN")
				if run.tls != nil {
					t.Errorf("TLS happened: %+v", run.tls)
				}
			},
		},
		{
			profile: "fail-starttls", by: lab.ByListener,
			good: [][]string{{lab.FlagStartTLSRefused}},
			// The plaintext connection that comes back from the same address
			// is the fallback.
			bad: [][]string{{lab.FlagStartTLSRefused}, {lab.FlagFallbackToPlaintext, lab.FlagPlaintextCredentials}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				if run.err == nil || !strings.Contains(run.err.Error(), "STARTTLS refused: <failure xmlns='"+labNSTLS+"'/>") {
					t.Errorf("careful client ended with %v, want the refusal", run.err)
				}
				if len(run.credentials) != 0 {
					t.Errorf("credentials sent: %q", run.credentials)
				}
				labWantEvent(t, h, run.conns[0], "STARTTLS refused: STARTTLS refused on purpose (lab profile fail-starttls)")
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantEvent(t, h, run.conns[0], "STARTTLS refused: STARTTLS refused on purpose (lab profile fail-starttls)")
				// The second connection was offered STARTTLS again and went
				// on without it.
				if !strings.Contains(run.features[1], "<starttls xmlns='"+labNSTLS+"'/>") {
					t.Errorf("second connection's features %q lack STARTTLS", run.features[1])
				}
				labWantTried(t, run, "PLAIN")
				if run.tls != nil {
					t.Errorf("TLS happened: %+v", run.tls)
				}
			},
		},
		{
			profile: "sasl-before-tls", by: lab.ByUsername,
			good: [][]string{{"ignored-plaintext-sasl"}},
			bad:  [][]string{{lab.FlagPlaintextCredentials}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantBait(t, run.features[0])
				labWantTried(t, run, "PLAIN") // over TLS
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantBait(t, run.features[0])
				labWantTried(t, run, "PLAIN")
				if run.tls != nil {
					t.Errorf("TLS happened: %+v", run.tls)
				}
			},
		},
		{
			profile: "inject-after-proceed", by: lab.ByListener,
			good: [][]string{{"discarded-injected-data"}},
			bad:  [][]string{{lab.FlagAcceptedInjectedData}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				// The injection came in the same read as <proceed/>, and
				// was discarded.
				if !bytes.Equal(run.afterProceed, lab.XMPPInjection) {
					t.Errorf("after <proceed/> the careful client had %q buffered, want the injection %q", run.afterProceed, lab.XMPPInjection)
				}
				if strings.Contains(run.features[1], lab.InjectedMechanism) {
					t.Errorf("the features after TLS are the injected ones: %q", run.features[1])
				}
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				if !bytes.Equal(run.afterProceed, lab.XMPPInjection) {
					t.Errorf("after <proceed/> the naive client had %q buffered, want the injection %q", run.afterProceed, lab.XMPPInjection)
				}
				if run.tls == nil {
					t.Fatal("no TLS")
				}
				// It took the plaintext for the features after TLS.
				if run.features[1] != string(lab.XMPPInjection) {
					t.Errorf("features after TLS %q, want the injected %q", run.features[1], lab.XMPPInjection)
				}
				labWantTried(t, run, lab.InjectedMechanism)
			},
		},
		labCertCase("expired", lab.BySNI,
			func(t *testing.T, err error) {
				var ce x509.CertificateInvalidError
				if !errors.As(err, &ce) || ce.Reason != x509.Expired {
					t.Errorf("careful client ended with %v, want an expired certificate", err)
				}
			},
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if !leaf.NotAfter.Before(time.Now()) {
					t.Errorf("certificate valid until %v", leaf.NotAfter)
				}
				labWantSignedByCA(t, h, leaf)
			}),
		labCertCase("wrong-name", lab.BySNI,
			func(t *testing.T, err error) {
				var he x509.HostnameError
				if !errors.As(err, &he) || he.Host != "cert-wrong-name.localhost" {
					t.Errorf("careful client ended with %v, want a name mismatch", err)
				}
			},
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if !slices.Equal(leaf.DNSNames, []string{"wrong.invalid"}) || leaf.VerifyHostname("localhost") == nil {
					t.Errorf("certificate names %v %v", leaf.DNSNames, leaf.IPAddresses)
				}
				labWantSignedByCA(t, h, leaf)
			}),
		labCertCase("self-signed", lab.ByListener,
			func(t *testing.T, err error) {
				var ue x509.UnknownAuthorityError
				if !errors.As(err, &ue) {
					t.Errorf("careful client ended with %v, want an unknown authority", err)
				}
			},
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if leaf.Issuer.String() != leaf.Subject.String() || leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) != nil {
					t.Errorf("certificate of %q issued by %q is not self-signed", leaf.Subject, leaf.Issuer)
				}
				if leaf.VerifyHostname("localhost") != nil || time.Now().After(leaf.NotAfter) {
					t.Error("the self-signed certificate has another fault")
				}
			}),
		labCertCase("untrusted-ca", lab.ByUsername,
			func(t *testing.T, err error) {
				var ue x509.UnknownAuthorityError
				if !errors.As(err, &ue) {
					t.Errorf("careful client ended with %v, want an unknown authority", err)
				}
			},
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if leaf.Issuer.CommonName != "jabberd lab: a CA nobody trusts" || leaf.CheckSignatureFrom(h.set.State.CA.Cert) == nil {
					t.Errorf("certificate issued by %q", leaf.Issuer)
				}
				if leaf.VerifyHostname("localhost") != nil {
					t.Error("the certificate has the wrong names too")
				}
			}),
		labCertCase("weak-key", lab.ByListener,
			func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "refusing a 1024-bit RSA key") {
					t.Errorf("careful client ended with %v, want its key-size refusal", err)
				}
			},
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				k, ok := leaf.PublicKey.(*rsa.PublicKey)
				if !ok || k.N.BitLen() != 1024 {
					t.Errorf("certificate key %T, want RSA 1024", leaf.PublicKey)
				}
				labWantSignedByCA(t, h, leaf)
			}),
		{
			profile: "tls10-only", by: lab.ByListener,
			good: [][]string{{"rejected-weak-tls"}},
			bad:  [][]string{{"accepted-weak-tls"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				if run.err == nil || !strings.Contains(run.err.Error(), "protocol version") {
					t.Errorf("careful client ended with %v, want a protocol version failure", run.err)
				}
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				if run.tls == nil || run.tls.Version != tls.VersionTLS10 {
					t.Fatalf("handshake %+v, want TLS 1.0", run.tls)
				}
				labWantBound(t, run)
			},
		},
		{
			profile: "external-then-fail", by: lab.ByUsername, cert: true,
			good: [][]string{{"stopped-after-auth-failure"}},
			bad:  [][]string{{"ignored-auth-failure"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				labWantTried(t, run, "EXTERNAL", "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				labWantTried(t, run, "EXTERNAL")
				if run.jid != "" {
					t.Errorf("bound %s without logging in", run.jid)
				}
			},
		},
		{
			profile: "slow-handshake", by: lab.ByUsername,
			good: [][]string{{"gave-up-on-slow-handshake"}},
			bad:  [][]string{{"waited-for-slow-handshake"}},
			goodWire: func(t *testing.T, h *harness, run *labRun) {
				if !errors.Is(run.err, context.DeadlineExceeded) || run.handshake >= labSlowDelay {
					t.Errorf("careful client ended with %v after %v, want its handshake timeout", run.err, run.handshake)
				}
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				if run.tls == nil || run.handshake < labSlowDelay {
					t.Errorf("handshake took %v (%v), want at least %v", run.handshake, run.err, labSlowDelay)
				}
				labWantBound(t, run)
			},
		},
	}
}

// labCertCase is a certificate fault: the careful client's handshake fails
// (goodErr checks why), the naive one's shows the fault certificate from
// the state directory (leaf checks what is wrong with it).
func labCertCase(fault, by string, goodErr func(*testing.T, error), leaf func(*testing.T, *harness, *x509.Certificate)) labCase {
	return labCase{
		profile: "cert-" + fault, by: by,
		good: [][]string{{"rejected-bad-certificate"}},
		bad:  [][]string{{"accepted-bad-certificate"}},
		goodWire: func(t *testing.T, h *harness, run *labRun) {
			goodErr(t, run.err)
			if run.tls != nil || len(run.credentials) != 0 {
				t.Errorf("careful client went on: tls %v, credentials %d", run.tls != nil, len(run.credentials))
			}
		},
		badWire: func(t *testing.T, h *harness, run *labRun) {
			if run.tls == nil {
				t.Fatalf("no TLS: %v", run.err)
			}
			got := run.tls.PeerCertificates[0]
			if want := labFaultCert(t, h, "cert-"+fault); !bytes.Equal(got.Raw, want.Raw) {
				t.Errorf("presented %q issued by %q, not %s/cert-%s.crt", got.Subject, got.Issuer, lab.FaultDir, fault)
			}
			leaf(t, h, got)
			labWantBound(t, run)
		},
	}
}

// TestLabProfiles runs both clients against every profile.
func TestLabProfiles(t *testing.T) {
	cases := labCases()
	var names []string
	for _, c := range cases {
		names = append(names, c.profile)
	}
	if !slices.Equal(names, lab.Names()) {
		t.Fatalf("cases %v, want one per profile %v", names, lab.Names())
	}
	for _, c := range cases {
		for _, good := range []bool{true, false} {
			kind := "naive"
			if good {
				kind = "careful"
			}
			t.Run(c.profile+"/"+kind, func(t *testing.T) {
				t.Parallel()
				runLabCase(t, c, good)
			})
		}
	}
}

func runLabCase(t *testing.T, c labCase, good bool) {
	p, _ := lab.Lookup(c.profile)
	h := start(t, func(cfg *config.Config) {
		cfg.Lab.SlowHandshakeDelay = config.Duration{Duration: labSlowDelay}
		if c.by == lab.ByListener {
			cfg.Listen[0].Profile = c.profile
		}
	})
	acct := labAccount{
		addr: h.addr, user: "alice", password: h.password("alice"), from: "alice@localhost",
		serverName: "localhost", roots: h.roots, handshakeTimeout: labHandshakeTimeout,
	}
	switch c.by {
	case lab.ByUsername:
		acct.user = "alice" + lab.TagSeparator + c.profile
		acct.from = acct.user + "@localhost"
	case lab.BySNI:
		acct.serverName = c.profile + ".localhost"
	}
	if c.cert {
		cert, _ := h.clientCert("alice")
		acct.cert = &cert
	}
	var run *labRun
	want, wire := c.bad, c.badWire
	if good {
		run = carefulClient(acct)
		want, wire = c.good, c.goodWire
	} else {
		run = naiveClient(acct)
	}
	t.Logf("client ended with %v after %d connection(s), mechanisms %v", run.err, len(run.conns), run.mechanisms)
	if len(run.conns) != len(want) {
		t.Fatalf("%d connections, want %d", len(run.conns), len(want))
	}
	var all []string
	for i, st := range run.conns {
		tr := h.labTranscript(t, st.local)
		sum := tr.Summary()
		if sum.Profile != c.profile || sum.SelectedBy != c.by || sum.Dialect != "rfc6120" {
			t.Errorf("connection %d: profile %q selected by %q, dialect %q; want %q by %q, rfc6120", i+1, sum.Profile, sum.SelectedBy, sum.Dialect, c.profile, c.by)
		}
		if !labSameFlags(sum.Flags, want[i]) {
			t.Errorf("connection %d: flags %q, want %q", i+1, sum.Flags, want[i])
		}
		all = append(all, sum.Flags...)
		labCheckRecords(t, tr, st)
		if i == len(run.conns)-1 {
			labCheckTLSSummary(t, sum, run, acct.serverName)
		}
	}
	// The profile's own verdict, whatever else was flagged.
	if good {
		if p.Pass != "" && !slices.Contains(all, p.Pass) {
			t.Errorf("careful client: flags %q lack %q", all, p.Pass)
		}
		if slices.Contains(all, p.Fail) {
			t.Errorf("careful client: flags %q have %q", all, p.Fail)
		}
	} else {
		if !slices.Contains(all, p.Fail) {
			t.Errorf("naive client: flags %q lack %q", all, p.Fail)
		}
		if p.Pass != "" && slices.Contains(all, p.Pass) {
			t.Errorf("naive client: flags %q have %q", all, p.Pass)
		}
	}
	labCheckRedacted(t, h, run)
	wire(t, h, run)
}

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
		// A tag after SNI chose is ignored.
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
		labWantChoices(t, tr, "strip-starttls (selected by listener)", "sasl-before-tls (selected by username)", "cert-expired (selected by sni)")
		labCheckRecords(t, tr, w.st)
	})
	t.Run("direct-tls", func(t *testing.T) {
		t.Parallel()
		h := start(t, func(c *config.Config) {
			c.Listen[0].TLS = config.TLSDirect
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
		labWantChoices(t, tr, "strip-starttls (selected by listener)", "cert-expired (selected by sni)")
		labCheckRecords(t, tr, w.st)
	})
}

// ---- helpers ----

// labTranscript finds the transcript of the connection whose client end is
// local, and waits until it has ended (its flags are then final) unless
// live is asked for.
func (h *harness) labTranscript(t *testing.T, local string, live ...bool) *lab.Transcript {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		for _, s := range h.set.Lab.List() {
			if s.Remote == local && (!s.Live || len(live) > 0) {
				tr, ok := h.set.Lab.Get(s.ID)
				if !ok {
					t.Fatalf("transcript %s listed but not found", s.ID)
				}
				return tr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ended transcript for %s after %v: %+v", local, ioTimeout, h.set.Lab.List())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// labSameFlags compares flag sets (the order follows the events, which the
// tests do not pin).
func labSameFlags(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

// labCheckRecords checks the transcript's bookkeeping: sequence numbers in
// order, each direction's records contiguous from offset 0, summing to the
// summary's byte counts, and consistent with what the client counted.
func labCheckRecords(t *testing.T, tr *lab.Transcript, st *labConnStats) {
	t.Helper()
	sum := tr.Summary()
	next := map[string]int64{}
	for i, r := range tr.Records() {
		if r.Seq != i+1 {
			t.Errorf("record %d has seq %d", i+1, r.Seq)
		}
		if r.Dir == lab.DirEvent {
			if r.Offset != 0 || r.Len != 0 {
				t.Errorf("event %d %q has offset %d len %d", r.Seq, r.Data, r.Offset, r.Len)
			}
			continue
		}
		if r.Offset != next[r.Dir] || r.Len <= 0 {
			t.Errorf("%s record %d at offset %d len %d, want offset %d and a length", r.Dir, r.Seq, r.Offset, r.Len, next[r.Dir])
		}
		next[r.Dir] = r.Offset + int64(r.Len)
	}
	if sum.Truncated {
		t.Errorf("transcript truncated")
	}
	if next[lab.DirIn] != sum.BytesIn || next[lab.DirOut] != sum.BytesOut {
		t.Errorf("records add up to %d in, %d out; summary says %d, %d", next[lab.DirIn], next[lab.DirOut], sum.BytesIn, sum.BytesOut)
	}
	// The server cannot have parsed more than the client sent, nor the
	// client read more than the server wrote; after a clean close both
	// sides saw everything.
	if sum.BytesIn > st.sent || st.received > sum.BytesOut {
		t.Errorf("client sent %d and received %d bytes; transcript has %d in, %d out", st.sent, st.received, sum.BytesIn, sum.BytesOut)
	}
	if st.cleanClose && (sum.BytesIn != st.sent || sum.BytesOut != st.received) {
		t.Errorf("after a clean close: client sent %d and received %d bytes; transcript has %d in, %d out", st.sent, st.received, sum.BytesIn, sum.BytesOut)
	}
}

// labCheckTLSSummary compares the summary's TLS line with the handshake the
// client made (or failed).
func labCheckTLSSummary(t *testing.T, sum lab.Summary, run *labRun, serverName string) {
	t.Helper()
	switch {
	case run.tls != nil:
		want := tls.VersionName(run.tls.Version) + " " + tls.CipherSuiteName(run.tls.CipherSuite)
		if sum.TLS != want || sum.SNI != serverName {
			t.Errorf("summary TLS %q SNI %q, want %q %q", sum.TLS, sum.SNI, want, serverName)
		}
	case run.handshake > 0:
		if !strings.HasPrefix(sum.TLS, "failed: ") {
			t.Errorf("summary TLS %q after a failed handshake", sum.TLS)
		}
	default:
		if sum.TLS != "none" {
			t.Errorf("summary TLS %q without a handshake", sum.TLS)
		}
	}
	if run.jid != "" && (sum.Mechanism != "PLAIN" || sum.Identity != "alice@localhost") {
		t.Errorf("bound %s but the summary has mechanism %q identity %q", run.jid, sum.Mechanism, sum.Identity)
	}
}

// labCheckRedacted: no transcript of the server, in any form, holds the
// password or a SASL response that carries it.
func labCheckRedacted(t *testing.T, h *harness, run *labRun) {
	t.Helper()
	secrets := append([]string{h.password("alice")}, run.credentials...)
	for _, s := range h.set.Lab.List() {
		tr, ok := h.set.Lab.Get(s.ID)
		if !ok {
			continue
		}
		jsonl := string(tr.MarshalJSONL())
		for _, secret := range secrets {
			if strings.Contains(jsonl, secret) {
				t.Errorf("transcript %s holds the secret %q", s.ID, secret)
			}
		}
	}
}

// labClientData returns what the transcript recorded from the client.
func labClientData(t *testing.T, h *harness, st *labConnStats) []string {
	t.Helper()
	var out []string
	for _, r := range h.labTranscript(t, st.local).Records() {
		if r.Dir == lab.DirIn {
			out = append(out, r.Data)
		}
	}
	return out
}

func labWantEvent(t *testing.T, h *harness, st *labConnStats, text string) {
	t.Helper()
	for _, r := range h.labTranscript(t, st.local).Records() {
		if r.Dir == lab.DirEvent && r.Data == text {
			return
		}
	}
	t.Errorf("no event %q in the transcript", text)
}

// labWantChoices checks the profile choices the transcript recorded, in order.
func labWantChoices(t *testing.T, tr *lab.Transcript, want ...string) {
	t.Helper()
	var got []string
	for _, r := range tr.Records() {
		if r.Dir == lab.DirEvent && strings.HasPrefix(r.Data, "profile ") {
			got = append(got, strings.TrimPrefix(r.Data, "profile "))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("profile choices %q, want %q", got, want)
	}
}

func labWantErr(t *testing.T, run *labRun, want error) {
	t.Helper()
	if !errors.Is(run.err, want) {
		t.Errorf("client ended with %v, want %v", run.err, want)
	}
}

// labWantStripped: features without STARTTLS, with PLAIN as bait.
func labWantStripped(t *testing.T, features string) {
	t.Helper()
	if strings.Contains(features, "starttls") || !strings.Contains(features, "<mechanism>PLAIN</mechanism>") {
		t.Errorf("plaintext features %q: want PLAIN and no STARTTLS", features)
	}
}

// labWantBait: plaintext features offering both STARTTLS and PLAIN.
func labWantBait(t *testing.T, features string) {
	t.Helper()
	if !strings.Contains(features, "<starttls xmlns='"+labNSTLS+"'/>") || !strings.Contains(features, "<mechanism>PLAIN</mechanism>") {
		t.Errorf("plaintext features %q: want STARTTLS and PLAIN", features)
	}
}

func labWantTried(t *testing.T, run *labRun, mechs ...string) {
	t.Helper()
	if !slices.Equal(run.mechanisms, mechs) {
		t.Errorf("mechanisms tried %q, want %q", run.mechanisms, mechs)
	}
}

func labWantBound(t *testing.T, run *labRun) {
	t.Helper()
	if run.jid != "alice@localhost/lab" {
		t.Errorf("bound %q (%v), want alice@localhost/lab", run.jid, run.err)
	}
}

func labWantSignedByCA(t *testing.T, h *harness, leaf *x509.Certificate) {
	t.Helper()
	if err := leaf.CheckSignatureFrom(h.set.State.CA.Cert); err != nil {
		t.Errorf("certificate not signed by the lab CA: %v", err)
	}
}

// labFaultCert loads a fault certificate from the state directory.
func labFaultCert(t *testing.T, h *harness, name string) *x509.Certificate {
	t.Helper()
	dir := filepath.Join(h.set.State.Dir, lab.FaultDir)
	p, err := certs.Load(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
	if err != nil {
		t.Fatalf("fault certificate %s: %v", name, err)
	}
	return p.Cert
}
