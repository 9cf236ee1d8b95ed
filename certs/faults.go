package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"golang.org/x/crypto/ocsp"
)

// FaultOptions make a server certificate that is wrong in one chosen way,
// for the lab's certificate profiles. Whatever they do not name stays as
// IssueServer makes it (the names in the subjectAltName, serverAuth, the
// CA's usual signature), so that the zero value plus Options is
// IssueServer.
type FaultOptions struct {
	Options
	// Key is the certificate's key; nil makes a new one of KeyType.
	Key crypto.Signer
	// CNOnly names the server only in the subject CN (the first name,
	// which must be a DNS name) and leaves the subjectAltName out.
	CNOnly bool
	// ExtKeyUsage replaces serverAuth (clientAuth alone, for instance).
	ExtKeyUsage []x509.ExtKeyUsage
	// CA makes the leaf a CA certificate: basicConstraints CA:TRUE with a
	// path length of 0, and keyCertSign.
	CA bool
	// SHA1 has the CA sign with SHA-1 (SHA1WithRSA or ECDSAWithSHA1, by
	// its key): crypto/x509 still creates such signatures, and no longer
	// accepts them in a chain.
	SHA1 bool
}

// NewKey makes a key of kt (RSA1024Weak included), for a caller that
// keeps keys across certificates: FaultOptions.Key.
func NewKey(kt KeyType) (crypto.Signer, error) { return generateKey(kt) }

// IssueServerFault issues a server certificate for names, signed by ca,
// with the faults opt asks for.
func IssueServerFault(ca *Pair, names []string, opt FaultOptions) (*Pair, error) {
	if err := checkCA(ca); err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	tmpl, key, err := serverTemplateKey(names, opt.Options, opt.Key)
	if err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	tmpl.NotAfter = clampToCA(tmpl.NotAfter, ca)
	if opt.CNOnly {
		if net.ParseIP(names[0]) != nil {
			return nil, fmt.Errorf("issue server certificate: a certificate named only by its CN needs a DNS name, not %s", names[0])
		}
		tmpl.DNSNames, tmpl.IPAddresses = nil, nil
	}
	if len(opt.ExtKeyUsage) > 0 {
		tmpl.ExtKeyUsage = slices.Clone(opt.ExtKeyUsage)
	}
	if opt.CA {
		tmpl.IsCA, tmpl.MaxPathLen, tmpl.MaxPathLenZero = true, 0, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if opt.SHA1 {
		switch ca.Key.Public().(type) {
		case *rsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.SHA1WithRSA
		case *ecdsa.PublicKey:
			tmpl.SignatureAlgorithm = x509.ECDSAWithSHA1
		default:
			return nil, fmt.Errorf("issue server certificate: no SHA-1 signature with a %s CA key", DescribePublicKey(ca.Key.Public()))
		}
	}
	return sign(tmpl, ca, key)
}

// RevokedOCSP returns an OCSP response (RFC 6960) signed by ca itself
// saying that cert, which ca issued, was revoked at revokedAt for key
// compromise. It is current from revokedAt until cert expires, so that it
// stays fresh for as long as a server staples it.
func RevokedOCSP(ca *Pair, cert *x509.Certificate, revokedAt time.Time) ([]byte, error) {
	if err := checkCA(ca); err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	if cert == nil || cert.CheckSignatureFrom(ca.Cert) != nil {
		return nil, errors.New("OCSP response: the certificate is not issued by the CA")
	}
	revokedAt = revokedAt.UTC().Truncate(time.Second)
	der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, ocsp.Response{
		Status:           ocsp.Revoked,
		SerialNumber:     cert.SerialNumber,
		ThisUpdate:       revokedAt,
		NextUpdate:       cert.NotAfter,
		RevokedAt:        revokedAt,
		RevocationReason: ocsp.KeyCompromise,
	}, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("OCSP response for %q: %w", cert.Subject.CommonName, err)
	}
	return der, nil
}
