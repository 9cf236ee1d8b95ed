package certs

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"time"
)

// VerifyClient verifies a client certificate chain for TLS client
// authentication (ExtKeyUsageClientAuth) at time now.
//
// Why this exists: crypto/x509 records a critical subjectAltName in
// UnhandledCriticalExtensions when it understood none of the names in it.
// That is exactly the RFC 5280-conforming shape of a certificate whose
// only identity is an xmppAddr otherName (empty subject, critical SAN),
// and Verify then fails with "unhandled critical extension". We do handle
// that extension — XMPPAddrs reads it — so, and only if it parses
// cleanly, the SAN OID is removed from UnhandledCriticalExtensions of a
// shallow copy before verifying. The caller's certificate is not
// modified (the returned chains start with the copy), and any other
// unhandled critical extension still fails.
//
// The same applies to crypto/tls: with RequireAndVerifyClientCert the
// handshake would reject such a certificate, so a server wanting to accept
// it must request the certificate without built-in verification and call
// VerifyClient itself.
func VerifyClient(cert *x509.Certificate, intermediates, roots *x509.CertPool, now time.Time) ([][]*x509.Certificate, error) {
	if cert == nil {
		return nil, errors.New("verify client certificate: nil certificate")
	}
	leaf := cert
	if i := sanUnhandledIndex(cert); i >= 0 {
		if _, err := XMPPAddrs(cert); err == nil {
			c := *cert
			unhandled := make([]asn1.ObjectIdentifier, 0, len(cert.UnhandledCriticalExtensions)-1)
			unhandled = append(unhandled, cert.UnhandledCriticalExtensions[:i]...)
			unhandled = append(unhandled, cert.UnhandledCriticalExtensions[i+1:]...)
			c.UnhandledCriticalExtensions = unhandled
			leaf = &c
		}
	}
	return leaf.Verify(x509.VerifyOptions{
		Intermediates: intermediates,
		Roots:         roots,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// sanUnhandledIndex returns the position of the SAN OID in
// cert.UnhandledCriticalExtensions, or -1.
func sanUnhandledIndex(cert *x509.Certificate) int {
	for i, oid := range cert.UnhandledCriticalExtensions {
		if oid.Equal(OIDSubjectAltName) {
			return i
		}
	}
	return -1
}
