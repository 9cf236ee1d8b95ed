package server_test

// The table TestLabProfiles (lab_test.go) runs: for every lab profile, how
// the test selects it, the exact flags the careful and the naive client
// must earn, and what each must have seen on the wire.

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
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
	// careful and naive, when set, replace the clients of
	// labclient_careful_test.go and labclient_naive_test.go: a fault that
	// another kind of client falls for.
	careful, naive func(labAccount) *labRun
	// configure, when set, adjusts the server (the listener's policy).
	configure func(*config.Config)
}

func labCases() []labCase {
	return append([]labCase{
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
				if got := labClientData(t, h, run.conns[0]); len(got) != 2 || !strings.Contains(got[0], "<stream:stream ") || got[1] != closeTag {
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
			good: [][]string{{"stopped-after-refusal"}},
			// The plaintext connection that comes back from the same address
			// to the same (profile's) port is the fallback; the first one
			// stopped on its own socket.
			bad: [][]string{{"stopped-after-refusal"}, {lab.FlagFallbackToPlaintext, lab.FlagPlaintextCredentials}},
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
				if !bytes.Equal(run.afterProceed, xmppInjection) {
					t.Errorf("after <proceed/> the careful client had %q buffered, want the injection %q", run.afterProceed, xmppInjection)
				}
				if strings.Contains(run.features[1], lab.InjectedMechanism) {
					t.Errorf("the features after TLS are the injected ones: %q", run.features[1])
				}
				labWantTried(t, run, "PLAIN")
				labWantBound(t, run)
			},
			badWire: func(t *testing.T, h *harness, run *labRun) {
				if !bytes.Equal(run.afterProceed, xmppInjection) {
					t.Errorf("after <proceed/> the naive client had %q buffered, want the injection %q", run.afterProceed, xmppInjection)
				}
				if run.tls == nil {
					t.Fatal("no TLS")
				}
				// It took the plaintext for the features after TLS.
				if run.features[1] != string(xmppInjection) {
					t.Errorf("features after TLS %q, want the injected %q", run.features[1], xmppInjection)
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
	}, slices.Concat(negotiationLabCases(), handshakeLabCases())...)
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

// xmppInjection is what inject-after-proceed writes after <proceed/>:
// stream features whose only mechanism is the injection's.
var xmppInjection = []byte("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>" + lab.InjectedMechanism + "</mechanism></mechanisms></stream:features>")
