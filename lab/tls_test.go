package lab_test

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/certs"
	"jabberd/lab"
)

// TestFaultCertificatesBySNI: a client that chooses a certificate fault by
// SNI and verifies against the lab CA meets that fault and no other: the
// fault certificates carry <profile>.<name> for localhost and the
// configured domain, except cert-wrong-name's, which names only
// wrong.invalid. Real handshakes on loopback, through lab.Choice.
func TestFaultCertificatesBySNI(t *testing.T) {
	dir := t.TempDir()
	names := []string{"example.org", "localhost", "127.0.0.1", "::1"}
	st, err := certs.EnsureState(dir, "example.org", append(names, lab.SNINames("example.org", names)...), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	f := newSNIFixture(t, dir, st, names)

	// faultsOf lists what is wrong with a presented leaf, one check at a
	// time: the name, the issuer (the lab CA), the dates, the key.
	faultsOf := func(leaf *x509.Certificate, sni string) []string {
		var out []string
		if leaf.VerifyHostname(sni) != nil {
			out = append(out, "name")
		}
		if leaf.CheckSignatureFrom(st.CA.Cert) != nil {
			out = append(out, "issuer")
		}
		if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
			out = append(out, "dates")
		}
		if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			out = append(out, "key")
		}
		return out
	}
	leafOf := func(t *testing.T, err error) *x509.Certificate {
		t.Helper()
		var ve *tls.CertificateVerificationError
		if !errors.As(err, &ve) || len(ve.UnverifiedCertificates) == 0 {
			t.Fatalf("%v is not a certificate verification error", err)
		}
		return ve.UnverifiedCertificates[0]
	}

	cases := []struct {
		profile string
		// err judges the handshake's error (nil for none).
		err    func(error) bool
		faults []string
	}{
		{"cert-expired", func(err error) bool {
			var inv x509.CertificateInvalidError
			return errors.As(err, &inv) && inv.Reason == x509.Expired
		}, []string{"dates"}},
		{"cert-untrusted-ca", func(err error) bool {
			var ua x509.UnknownAuthorityError
			return errors.As(err, &ua)
		}, []string{"issuer"}},
		{"cert-self-signed", func(err error) bool {
			var ua x509.UnknownAuthorityError
			return errors.As(err, &ua)
		}, []string{"issuer"}},
		{"cert-wrong-name", func(err error) bool {
			var he x509.HostnameError
			return errors.As(err, &he) && strings.HasPrefix(he.Host, "cert-wrong-name.")
		}, []string{"name"}},
		// crypto/tls takes a 1024-bit RSA key: the handshake succeeds.
		{"cert-weak-key", func(err error) bool { return err == nil }, []string{"key"}},
	}
	for _, base := range []string{"localhost", "example.org"} {
		for _, c := range cases {
			sni := c.profile + "." + base
			t.Run(sni, func(t *testing.T) {
				cs, chosen, err := f.handshake(t, sni)
				if chosen != c.profile {
					t.Errorf("the server chose %q, want %s", chosen, c.profile)
				}
				if !c.err(err) {
					t.Fatalf("handshake: %v", err)
				}
				var leaf *x509.Certificate
				if err != nil {
					leaf = leafOf(t, err)
				} else {
					leaf = cs.PeerCertificates[0]
				}
				if got := faultsOf(leaf, sni); !slices.Equal(got, c.faults) {
					t.Errorf("the certificate's faults: %v, want only %v", got, c.faults)
				}
				if c.profile == "cert-wrong-name" && (!slices.Equal(leaf.DNSNames, []string{"wrong.invalid"}) || len(leaf.IPAddresses) != 0) {
					t.Errorf("names %v %v, want only wrong.invalid", leaf.DNSNames, leaf.IPAddresses)
				}
			})
		}
	}
}
