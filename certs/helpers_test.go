package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"testing"
	"time"
)

// newTestCA creates a fresh ECDSA CA; each test gets its own so that
// tests cannot accidentally verify against another test's root.
func newTestCA(t testing.TB) *Pair {
	t.Helper()
	ca, err := NewCA("test CA", Options{})
	if err != nil {
		t.Fatalf("NewCA: %v", err)
	}
	return ca
}

func pool(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// Hand-built GeneralNames of the kinds the package itself never emits,
// for the mixed-SAN parser tests.

func dnsGN(name string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagDNSName, Bytes: []byte(name)}
}

func uriGN(uri string) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagURI, Bytes: []byte(uri)}
}

func ipGN(ip string) asn1.RawValue {
	b := net.ParseIP(ip)
	if v4 := b.To4(); v4 != nil {
		b = v4
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tagIPAddress, Bytes: b}
}

// mustGN unwraps a GeneralName constructor result; it panics because Go
// does not allow mustGN(t, f()) with a multi-value f.
func mustGN(gn asn1.RawValue, err error) asn1.RawValue {
	if err != nil {
		panic(err)
	}
	return gn
}

func mustSAN(t testing.TB, names ...asn1.RawValue) []byte {
	t.Helper()
	der, err := marshalGeneralNames(names)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// certWithSAN issues a client certificate whose subjectAltName value is
// exactly san, bypassing IssueClientWith, so parser tests can exercise
// SAN shapes the package would never produce.
func certWithSAN(t testing.TB, ca *Pair, san []byte, critical bool, cn string, extra ...pkix.Extension) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		ExtraExtensions:       append([]pkix.Extension{{Id: OIDSubjectAltName, Critical: critical, Value: san}}, extra...),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("CreateCertificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}

// sanExtensions returns the subjectAltName extensions of cert.
func sanExtensions(cert *x509.Certificate) []pkix.Extension {
	var out []pkix.Extension
	for _, e := range cert.Extensions {
		if e.Id.Equal(OIDSubjectAltName) {
			out = append(out, e)
		}
	}
	return out
}
