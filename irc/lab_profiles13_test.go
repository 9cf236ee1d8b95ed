package irc_test

// Issue 13's certificate and TLS-protocol profiles on the IRC listener:
// the handshake after 670 is bent as on XMPP, and the verdict is drawn
// from what the client did after it.

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"jabberd/config"
	"jabberd/lab"
)

// TestIRCLabRevokedOCSPBySNI: SNI cert-revoked-ocsp.localhost picks the
// profile; the certificate is sound but comes with a stapled OCSP
// response saying it is revoked. A client that reads the staple (RFC 6066
// §8) refuses the handshake; one that does not (crypto/tls's own, which
// asks for the staple and never reads it) registers over it.
func TestIRCLabRevokedOCSPBySNI(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.Lab.ClientChoice = true })
	const sni = "cert-revoked-ocsp.localhost"

	good := h.dial(t)
	good.startTLSRequest()
	_, err := good.handshake(&tls.Config{ServerName: sni, RootCAs: h.Roots, VerifyConnection: func(cs tls.ConnectionState) error {
		resp, err := ocsp.ParseResponseForCert(cs.OCSPResponse, cs.PeerCertificates[0], cs.VerifiedChains[0][1])
		if err != nil {
			return err
		}
		if resp.Status != ocsp.Good {
			return errors.New("the stapled OCSP response says revoked")
		}
		return nil
	}})
	if err == nil || !strings.Contains(err.Error(), "says revoked") {
		t.Fatalf("handshake: %v, want the staple's refusal", err)
	}
	good.tcp.Close()
	s, _ := h.ended(t, good)
	checkSummary(t, s, "cert-revoked-ocsp", lab.BySNI, "failed: ", "rejected-bad-certificate")
	if s.Verdict != lab.Pass || s.Alert != "bad_certificate" {
		t.Errorf("verdict %s, alert %q", s.Verdict, s.Alert)
	}

	// Verifying the chain and the name is not enough.
	bad := h.dial(t)
	bad.startTLSRequest()
	cs, err := bad.handshake(&tls.Config{ServerName: sni, RootCAs: h.Roots})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if len(cs.OCSPResponse) == 0 {
		t.Error("no staple")
	}
	bad.register("bad")
	bad.quit()
	s, _ = h.ended(t, bad)
	checkSummary(t, s, "cert-revoked-ocsp", lab.BySNI, "TLS 1.3 ", "accepted-bad-certificate")
	if s.Verdict != lab.Fail {
		t.Errorf("verdict %s", s.Verdict)
	}
}

// TestIRCLabStaticRSA: the listener's tls12-static-rsa offers TLS 1.2 with
// RSA key transport only. crypto/tls's defaults share nothing with it;
// a client that lists the RSA suites registers over one.
func TestIRCLabStaticRSA(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "tls12-static-rsa" })

	good := h.dial(t)
	good.startTLSRequest()
	if _, err := good.handshake(h.tlsConfig(nil)); err == nil || !strings.Contains(err.Error(), "handshake failure") {
		t.Fatalf("handshake: %v, want a handshake failure", err)
	}
	good.tcp.Close()
	s, _ := h.ended(t, good)
	checkSummary(t, s, "tls12-static-rsa", lab.ByListener, "failed: ", "rejected-weak-tls")
	if !strings.Contains(s.TLS, "no cipher suite supported by both client and server") {
		t.Errorf("TLS %q", s.TLS)
	}

	bad := h.dial(t)
	bad.startTLSRequest()
	cfg := h.tlsConfig(nil)
	cfg.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
	cs, err := bad.handshake(cfg)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if cs.Version != tls.VersionTLS12 || cs.CipherSuite != tls.TLS_RSA_WITH_AES_128_GCM_SHA256 {
		t.Errorf("negotiated %s %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
	}
	bad.register("bad")
	bad.quit()
	s, _ = h.ended(t, bad)
	checkSummary(t, s, "tls12-static-rsa", lab.ByListener, "TLS 1.2 TLS_RSA_WITH_AES_128_GCM_SHA256", "accepted-weak-tls")
}
