package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestIssueServerFault: the zero FaultOptions issue what IssueServer
// does; each option changes its one thing.
func TestIssueServerFault(t *testing.T) {
	names := []string{"example.org", "localhost", "127.0.0.1"}
	for _, kt := range []KeyType{ECDSAP256, RSA2048} {
		ca, err := NewCA("fault CA", Options{KeyType: kt})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := IssueServerFault(ca, names, FaultOptions{})
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert)
		if _, err := plain.Cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots}); err != nil {
			t.Errorf("%s: the zero options: %v", kt, err)
		}
		if plain.Cert.IsCA || !slices.Equal(plain.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(plain.Cert.DNSNames) != 2 || len(plain.Cert.IPAddresses) != 1 {
			t.Errorf("%s: the zero options made %+v", kt, plain.Cert)
		}

		sha1, err := IssueServerFault(ca, names, FaultOptions{SHA1: true, Key: plain.Key})
		if err != nil {
			t.Fatal(err)
		}
		want := x509.ECDSAWithSHA1
		if kt == RSA2048 {
			want = x509.SHA1WithRSA
		}
		if sha1.Cert.SignatureAlgorithm != want || ca.Cert.CheckSignature(want, sha1.Cert.RawTBSCertificate, sha1.Cert.Signature) != nil {
			t.Errorf("%s: signed with %v", kt, sha1.Cert.SignatureAlgorithm)
		}
		if _, err := sha1.Cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: roots}); err == nil || !strings.Contains(err.Error(), "insecure algorithm") {
			t.Errorf("%s: crypto/x509 verified a SHA-1 signature: %v", kt, err)
		}
		if !sha1.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(plain.Key.Public()) {
			t.Errorf("%s: the key given was not used", kt)
		}
	}

	ca, err := NewCA("fault CA", Options{})
	if err != nil {
		t.Fatal(err)
	}
	cn, err := IssueServerFault(ca, []string{"cn.example.org", "other.example.org"}, FaultOptions{CNOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if cn.Cert.Subject.CommonName != "cn.example.org" || len(cn.Cert.DNSNames)+len(cn.Cert.IPAddresses) != 0 {
		t.Errorf("CN-only: %q %v %v", cn.Cert.Subject, cn.Cert.DNSNames, cn.Cert.IPAddresses)
	}
	for _, e := range cn.Cert.Extensions {
		if e.Id.Equal(OIDSubjectAltName) {
			t.Error("CN-only: a subjectAltName extension")
		}
	}
	if _, err := IssueServerFault(ca, []string{"127.0.0.1"}, FaultOptions{CNOnly: true}); err == nil {
		t.Error("CN-only for an IP address")
	}
	client, err := IssueServerFault(ca, names, FaultOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil || !slices.Equal(client.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("client EKU: %v %v", client.Cert.ExtKeyUsage, err)
	}
	leafCA, err := IssueServerFault(ca, names, FaultOptions{CA: true})
	if err != nil || !leafCA.Cert.IsCA || leafCA.Cert.MaxPathLen != 0 || !leafCA.Cert.MaxPathLenZero || leafCA.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA leaf: %+v %v", leafCA.Cert, err)
	}
	// Its key can sign a certificate, which does not verify: the lab CA
	// allows no intermediate.
	below, err := IssueServer(leafCA, []string{"below.example.org"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(ca.Cert)
	inter.AddCert(leafCA.Cert)
	if _, err := below.Cert.Verify(x509.VerifyOptions{DNSName: "below.example.org", Roots: roots, Intermediates: inter}); err == nil {
		t.Error("a certificate signed by the CA leaf verifies")
	}
	if _, err := IssueServerFault(&Pair{}, names, FaultOptions{}); err == nil {
		t.Error("issued without a CA")
	}
}

// TestRevokedOCSP: a response signed by the CA, for that certificate,
// revoked for key compromise, current until the certificate expires.
func TestRevokedOCSP(t *testing.T) {
	ca, err := NewCA("OCSP CA", Options{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueServer(ca, []string{"example.org"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour)
	der, err := RevokedOCSP(ca, leaf.Cert, at)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.ParseResponseForCert(der, leaf.Cert, ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != ocsp.Revoked || resp.RevocationReason != ocsp.KeyCompromise || resp.SerialNumber.Cmp(leaf.Cert.SerialNumber) != 0 ||
		!resp.RevokedAt.Equal(at.UTC().Truncate(time.Second)) || !resp.NextUpdate.Equal(leaf.Cert.NotAfter) || resp.ThisUpdate.After(time.Now()) {
		t.Errorf("response %+v", resp)
	}
	if _, ok := ca.Key.Public().(*ecdsa.PublicKey); !ok || resp.CheckSignatureFrom(ca.Cert) != nil {
		t.Error("not signed by the CA")
	}
	other, err := NewCA("another CA", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RevokedOCSP(other, leaf.Cert, at); err == nil {
		t.Error("a response from a CA that did not issue the certificate")
	}
}
