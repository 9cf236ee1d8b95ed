package starttls

import (
	"crypto"
	"crypto/x509"
)

// serverEndPoint computes tls-server-end-point (RFC 5929 §4.1): the hash of
// the server's certificate, with the certificate's signature hash, upgraded
// to SHA-256 when that is MD5 or SHA-1.
func serverEndPoint(cert *x509.Certificate) []byte {
	h := crypto.SHA256
	switch cert.SignatureAlgorithm {
	case x509.SHA384WithRSA, x509.ECDSAWithSHA384, x509.SHA384WithRSAPSS:
		h = crypto.SHA384
	case x509.SHA512WithRSA, x509.ECDSAWithSHA512, x509.SHA512WithRSAPSS:
		h = crypto.SHA512
	}
	d := h.New()
	d.Write(cert.Raw)
	return d.Sum(nil)
}
