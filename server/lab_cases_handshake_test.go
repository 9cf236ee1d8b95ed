package server_test

// The cases of TestLabProfiles (lab_test.go) for the certificate and
// TLS-protocol profiles of issue 13. Both clients (handshakeClient) ask for
// STARTTLS, make the handshake with their configuration and, when it
// completes, log in and bind: the careful one trusts the lab CA, offers TLS
// 1.2 with AEAD suites and ECDHE only (RFC 9325 §4.2) and TLS 1.3, and
// checks what crypto/tls leaves to it (carefulTLS); the naive one takes any
// certificate, version and suite (naiveTLS).

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"jabberd/lab"
)

func handshakeLabCases() []labCase {
	invalid := func(reason x509.InvalidReason, text string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			t.Helper()
			var inv x509.CertificateInvalidError
			if !errors.As(err, &inv) || inv.Reason != reason || !strings.Contains(err.Error(), text) {
				t.Errorf("careful client ended with %v, want %q", err, text)
			}
		}
	}
	says := func(text string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			t.Helper()
			if err == nil || !strings.Contains(err.Error(), text) {
				t.Errorf("careful client ended with %v, want %q", err, text)
			}
		}
	}
	noLeafCheck := func(*testing.T, *harness, *x509.Certificate) {}
	return []labCase{
		handshakeCase(labCertCase("not-yet-valid", lab.BySNI, invalid(x509.Expired, "is before"),
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if !time.Now().Before(leaf.NotBefore) {
					t.Errorf("valid from %v", leaf.NotBefore)
				}
				labWantSignedByCA(t, h, leaf)
			})),
		// Chosen by the listener, the client names the domain: the
		// certificate's one CN is the domain, and there is no SAN at all.
		handshakeCase(labCertCase("cn-only", lab.ByListener, func(t *testing.T, err error) {
			var he x509.HostnameError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), "legacy Common Name") {
				t.Errorf("careful client ended with %v, want the CN-only refusal", err)
			}
		}, func(t *testing.T, h *harness, leaf *x509.Certificate) {
			if leaf.Subject.CommonName != "localhost" || len(leaf.DNSNames)+len(leaf.IPAddresses) != 0 {
				t.Errorf("subject %q, names %v %v", leaf.Subject, leaf.DNSNames, leaf.IPAddresses)
			}
		})),
		handshakeCase(labCertCase("client-auth-eku", lab.ByUsername, invalid(x509.IncompatibleUsage, "incompatible key usage"),
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
					t.Errorf("extended key usage %v", leaf.ExtKeyUsage)
				}
			})),
		handshakeCase(labCertCase("leaf-is-ca", lab.BySNI, says("refusing a CA certificate"),
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if !leaf.IsCA || leaf.KeyUsage&x509.KeyUsageCertSign == 0 {
					t.Errorf("CA %v, key usage %v", leaf.IsCA, leaf.KeyUsage)
				}
			})),
		handshakeCase(labCertCase("sha1", lab.ByListener, says("insecure algorithm"),
			func(t *testing.T, h *harness, leaf *x509.Certificate) {
				if leaf.SignatureAlgorithm != x509.ECDSAWithSHA1 && leaf.SignatureAlgorithm != x509.SHA1WithRSA {
					t.Errorf("signed with %v", leaf.SignatureAlgorithm)
				}
			})),
		withBadWire(handshakeCase(labCertCase("revoked-ocsp", lab.ByUsername, says("the stapled OCSP response says revoked"), noLeafCheck)),
			func(t *testing.T, h *harness, run *labRun) {
				resp, err := ocsp.ParseResponseForCert(run.tls.OCSPResponse, run.tls.PeerCertificates[0], h.set.State.CA.Cert)
				if err != nil || resp.Status != ocsp.Revoked {
					t.Errorf("staple: %+v, %v", resp, err)
				}
			}),
		// Chosen by the listener, the client names the domain, which the
		// wildcard one label below it does not cover.
		handshakeCase(labCertCase("wildcard-apex", lab.ByListener, func(t *testing.T, err error) {
			var he x509.HostnameError
			if !errors.As(err, &he) {
				t.Errorf("careful client ended with %v, want a hostname mismatch", err)
			}
		}, func(t *testing.T, h *harness, leaf *x509.Certificate) {
			if !slices.Contains(leaf.DNSNames, "*.localhost") || slices.Contains(leaf.DNSNames, "localhost") || leaf.VerifyHostname("x.localhost") != nil {
				t.Errorf("names %v: want *.localhost and not localhost", leaf.DNSNames)
			}
			labWantSignedByCA(t, h, leaf)
		})),
		weakTLSCase("tls11-only", lab.BySNI, "protocol version", tls.VersionTLS11, nil, false),
		weakTLSCase("tls12-cbc-only", lab.ByListener, "handshake failure", tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		}, false),
		weakTLSCase("tls12-rc4", lab.BySNI, "handshake failure", tls.VersionTLS12, []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA,
		}, false),
		weakTLSCase("tls12-static-rsa", lab.ByUsername, "handshake failure", tls.VersionTLS12, []uint16{
			tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		}, true),
	}
}

// handshakeCase has c played by the handshake clients.
func handshakeCase(c labCase) labCase {
	c.careful = func(a labAccount) *labRun { return handshakeClient(a, carefulTLS(a)) }
	c.naive = func(a labAccount) *labRun { return handshakeClient(a, naiveTLS(a)) }
	return c
}

// withBadWire adds a check of what the naive client saw.
func withBadWire(c labCase, more func(*testing.T, *harness, *labRun)) labCase {
	first := c.badWire
	c.badWire = func(t *testing.T, h *harness, run *labRun) {
		first(t, h, run)
		more(t, h, run)
	}
	return c
}

// weakTLSCase is a weak-TLS profile: the careful client shares nothing with
// it (refused says how the server's refusal reads), the naive one logs in
// over version and one of suites (nil: any), with the RSA certificate of
// lab-certs when rsaCert, else the server's own.
func weakTLSCase(profile, by, refused string, version uint16, suites []uint16, rsaCert bool) labCase {
	return handshakeCase(labCase{
		profile: profile, by: by,
		good: [][]string{{"rejected-weak-tls"}},
		bad:  [][]string{{"accepted-weak-tls"}},
		goodWire: func(t *testing.T, h *harness, run *labRun) {
			if run.err == nil || !strings.Contains(run.err.Error(), refused) || run.tls != nil || len(run.credentials) != 0 {
				t.Errorf("careful client ended with %v (TLS %v, credentials %d), want %q", run.err, run.tls != nil, len(run.credentials), refused)
			}
		},
		badWire: func(t *testing.T, h *harness, run *labRun) {
			if run.tls == nil {
				t.Fatalf("no TLS: %v", run.err)
			}
			cs := run.tls
			if cs.Version != version || (suites != nil && !slices.Contains(suites, cs.CipherSuite)) {
				t.Errorf("negotiated %s %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
			}
			leaf, want := cs.PeerCertificates[0], h.set.State.Server.Cert
			if rsaCert {
				want = labFaultCert(t, h, "rsa-server")
				if k, ok := leaf.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
					t.Errorf("key %T", leaf.PublicKey)
				}
			}
			if !leaf.Equal(want) || leaf.VerifyHostname(run.tls.ServerName) != nil {
				t.Errorf("presented %q for %q", leaf.Subject, run.tls.ServerName)
			}
			labWantBound(t, run)
		},
	})
}

// carefulTLS trusts the lab CA, offers TLS 1.2 with AEAD suites and ECDHE
// only, and TLS 1.3, and checks what crypto/tls leaves to a client: an RSA
// key of 2048 bits at least, a leaf that is no CA (crypto/x509 takes one),
// and the stapled OCSP response, which crypto/tls asks for and never reads
// (RFC 6066 §8: a client that asked MUST check it).
func carefulTLS(a labAccount) *tls.Config {
	return &tls.Config{
		ServerName: a.serverName,
		RootCAs:    a.roots,
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if err := labRefuseWeakKeys(cs); err != nil {
				return err
			}
			leaf := cs.PeerCertificates[0]
			if leaf.IsCA {
				return errors.New("refusing a CA certificate as the server's")
			}
			if len(cs.OCSPResponse) > 0 {
				resp, err := ocsp.ParseResponseForCert(cs.OCSPResponse, leaf, cs.VerifiedChains[0][1])
				if err != nil {
					return fmt.Errorf("stapled OCSP response: %w", err)
				}
				if resp.Status != ocsp.Good {
					return errors.New("the stapled OCSP response says revoked")
				}
			}
			return nil
		},
	}
}

// naiveTLS takes any certificate, any version from TLS 1.0 and every suite
// crypto/tls has.
func naiveTLS(a labAccount) *tls.Config {
	var suites []uint16
	for _, s := range slices.Concat(tls.CipherSuites(), tls.InsecureCipherSuites()) {
		suites = append(suites, s.ID)
	}
	return &tls.Config{ServerName: a.serverName, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, CipherSuites: suites}
}

// handshakeClient asks for STARTTLS, makes the handshake with cfg and,
// when it completes, logs in with PLAIN, binds and closes: whether it goes
// on is its configuration's decision alone.
func handshakeClient(a labAccount, cfg *tls.Config) *labRun {
	run := &labRun{}
	w, err := dialLab(run, a.addr)
	if err != nil {
		run.err = err
		return run
	}
	defer w.tcp.Close()
	run.err = func() error {
		f, err := w.open(a.from)
		if err != nil {
			return err
		}
		run.features = append(run.features, f.raw)
		if childNS(f.el, "starttls", labNSTLS) == nil {
			return errLabNoStartTLS
		}
		if err := w.send(rfcStartTLS); err != nil {
			return err
		}
		if ans, err := w.nextElement(); err != nil || ans.el.Tag != "proceed" {
			return fmt.Errorf("STARTTLS: %s %v", ans.raw, err)
		}
		// The profiles are not about timeouts: the careful client's
		// handshake timeout would only make the naive one's flaky.
		if err := w.startTLS(run, cfg, false, ioTimeout); err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		if f, err = w.open(a.from); err != nil {
			return err
		}
		run.features = append(run.features, f.raw)
		initial := labPlainResponse(a)
		run.credentials = append(run.credentials, initial)
		ans, err := w.auth(run, "PLAIN", initial)
		if err != nil {
			return err
		}
		if ans.el.Tag != "success" {
			return fmt.Errorf("PLAIN: %s", ans.raw)
		}
		if _, err := w.open(a.from); err != nil {
			return err
		}
		if run.jid, err = w.bind(); err != nil {
			return err
		}
		w.closeStream()
		return nil
	}()
	return run
}
