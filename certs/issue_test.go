package certs

import (
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestNewCA(t *testing.T) {
	before := time.Now()
	ca := newTestCA(t)
	c := ca.Cert
	if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != 0 || !c.MaxPathLenZero {
		t.Errorf("basic constraints: IsCA=%v valid=%v MaxPathLen=%d zero=%v", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen, c.MaxPathLenZero)
	}
	if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("KeyUsage = %v", c.KeyUsage)
	}
	if c.Subject.CommonName != "test CA" || c.Issuer.CommonName != "test CA" {
		t.Errorf("subject %v issuer %v", c.Subject, c.Issuer)
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	// NotBefore is backdated by an hour for clock skew; validity is 10y.
	if d := before.Sub(c.NotBefore); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("NotBefore is %v before now, want ~1h", d)
	}
	if got := c.NotAfter.Sub(c.NotBefore); got != DefaultCAValidity {
		t.Errorf("validity %v, want %v", got, DefaultCAValidity)
	}
	if len(c.SubjectKeyId) == 0 {
		t.Error("no SubjectKeyId")
	}
	if _, err := NewCA("", Options{}); err == nil {
		t.Error("NewCA accepted an empty name")
	}
	if _, err := NewCA("x", Options{KeyType: "dsa"}); err == nil || !strings.Contains(err.Error(), `"dsa"`) {
		t.Errorf("bad key type: %v", err)
	}
	if _, err := NewCA("x", Options{Validity: -time.Hour}); err == nil {
		t.Error("NewCA accepted a negative validity")
	}
}

func TestServerCertVerifies(t *testing.T) {
	ca := newTestCA(t)
	names := []string{"example.org", "localhost", "127.0.0.1", "::1", "*.muc.example.org"}
	srv, err := IssueServer(ca, names, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := srv.Cert
	if c.Subject.CommonName != "example.org" {
		t.Errorf("CN = %q", c.Subject.CommonName)
	}
	if len(c.IPAddresses) != 2 || len(c.DNSNames) != 3 {
		t.Errorf("DNS %v IP %v", c.DNSNames, c.IPAddresses)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("ECDSA leaf KeyUsage = %v", c.KeyUsage)
	}
	if c.IsCA {
		t.Error("leaf is a CA")
	}
	if got := c.NotAfter.Sub(c.NotBefore); got != DefaultLeafValidity {
		t.Errorf("validity %v, want 825 days", got)
	}
	roots := pool(ca.Cert)
	for _, host := range []string{"localhost", "127.0.0.1", "::1", "example.org", "EXAMPLE.org", "conference.muc.example.org"} {
		_, err := c.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			t.Errorf("Verify(%s): %v", host, err)
		}
	}
	for _, host := range []string{"example.com", "127.0.0.2", "::2", "a.b.muc.example.org"} {
		if _, err := c.Verify(x509.VerifyOptions{DNSName: host, Roots: roots}); err == nil {
			t.Errorf("Verify(%s) succeeded", host)
		}
	}
	// A server certificate is not a client certificate.
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("server certificate verified for client auth")
	}
	// Another CA does not vouch for it.
	if _, err := c.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool(newTestCA(t).Cert)}); err == nil {
		t.Error("verified against an unrelated CA")
	}
}

func TestServerCertRSAKeyUsage(t *testing.T) {
	ca := newTestCA(t)
	srv, err := IssueServer(ca, []string{"example.org"}, Options{KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	if srv.Cert.KeyUsage != want {
		t.Errorf("RSA leaf KeyUsage = %v, want %v", srv.Cert.KeyUsage, want)
	}
	if DescribePublicKey(srv.Cert.PublicKey) != "RSA 2048" {
		t.Errorf("key %s", DescribePublicKey(srv.Cert.PublicKey))
	}
}

func TestServerCertBadInput(t *testing.T) {
	ca := newTestCA(t)
	for _, names := range [][]string{nil, {""}, {"exa mple.org"}, {"https://example.org"}, {"example.org:5222"}, {"a..b"}, {"a.*.b"}} {
		if _, err := IssueServer(ca, names, Options{}); err == nil {
			t.Errorf("IssueServer(%q) succeeded", names)
		}
	}
	leaf, err := IssueServer(ca, []string{"x.org"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := IssueServer(leaf, []string{"y.org"}, Options{}); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("issuing from a leaf: %v", err)
	}
	if _, err := IssueServer(nil, []string{"y.org"}, Options{}); err == nil {
		t.Error("issuing from nil CA succeeded")
	}
}

func TestExpiredCert(t *testing.T) {
	nb := time.Now().Add(-48 * time.Hour)
	// The CA must predate the leaf for the "when it was young" check.
	ca, err := NewCA("old CA", Options{NotBefore: nb})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := IssueServer(ca, []string{"localhost"}, Options{NotBefore: nb, Validity: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Cert.NotAfter.Before(time.Now()) {
		t.Fatalf("NotAfter %v is not in the past", srv.Cert.NotAfter)
	}
	_, err = srv.Cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool(ca.Cert)})
	var ce x509.CertificateInvalidError
	if !errors.As(err, &ce) || ce.Reason != x509.Expired {
		t.Errorf("Verify of expired cert: %v, want Expired", err)
	}
	// The same certificate was valid when it was young.
	if _, err := srv.Cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool(ca.Cert), CurrentTime: nb.Add(time.Hour)}); err != nil {
		t.Errorf("Verify in the past: %v", err)
	}

	cl, err := IssueClient(ca, "alice@example.org", Options{NotBefore: nb, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyClient(cl.Cert, nil, pool(ca.Cert), time.Now()); !errors.As(err, &ce) || ce.Reason != x509.Expired {
		t.Errorf("VerifyClient of expired cert: %v", err)
	}
}

// A leaf must not outlive its CA.
func TestLeafClampedToCA(t *testing.T) {
	ca, err := NewCA("short CA", Options{Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := IssueServer(ca, []string{"localhost", net.IPv6loopback.String()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("leaf NotAfter %v, CA NotAfter %v", srv.Cert.NotAfter, ca.Cert.NotAfter)
	}
}

func TestSerialsDiffer(t *testing.T) {
	ca := newTestCA(t)
	a, _ := IssueServer(ca, []string{"a.org"}, Options{})
	b, _ := IssueServer(ca, []string{"a.org"}, Options{})
	if a.Cert.SerialNumber.Cmp(b.Cert.SerialNumber) == 0 || a.Cert.SerialNumber.Sign() <= 0 {
		t.Errorf("serials %v %v", a.Cert.SerialNumber, b.Cert.SerialNumber)
	}
	if err := a.Cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Errorf("not signed by CA: %v", err)
	}
}

func TestCheckServerName(t *testing.T) {
	for _, n := range []string{"example.org", "localhost", "127.0.0.1", "::1", "*.example.org", "xmpp-1.example.org.", "_srv.example.org"} {
		if err := CheckServerName(n); err != nil {
			t.Errorf("CheckServerName(%q): %v", n, err)
		}
	}
	for _, n := range []string{"", "a b", "example.org:5222", "http://x", "*", "a.*.b", "x..y", "[::1]", strings.Repeat("a", 254)} {
		if err := CheckServerName(n); err == nil {
			t.Errorf("CheckServerName(%q) succeeded", n)
		}
	}
}
