package certs

import (
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIssueClient(t *testing.T) {
	ca := newTestCA(t)
	cl, err := IssueClient(ca, "alice@example.org", Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := cl.Cert
	if c.Subject.CommonName != "alice@example.org" {
		t.Errorf("CN = %q", c.Subject.CommonName)
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v", c.ExtKeyUsage)
	}
	if c.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage = %v", c.KeyUsage)
	}
	// crypto/x509 sees the email half of the SAN...
	if !slices.Equal(c.EmailAddresses, []string{"alice@example.org"}) || len(c.DNSNames) != 0 {
		t.Errorf("EmailAddresses %v DNSNames %v", c.EmailAddresses, c.DNSNames)
	}
	// ...and we see the xmppAddr half.
	addrs, err := XMPPAddrs(c)
	if err != nil || !slices.Equal(addrs, []string{"alice@example.org"}) {
		t.Errorf("XMPPAddrs = %q, %v", addrs, err)
	}
	sans := sanExtensions(c)
	if len(sans) != 1 {
		t.Fatalf("%d SAN extensions, want exactly 1", len(sans))
	}
	if sans[0].Critical {
		t.Error("SAN is critical although the subject is not empty")
	}
	if len(c.UnhandledCriticalExtensions) != 0 {
		t.Errorf("UnhandledCriticalExtensions = %v", c.UnhandledCriticalExtensions)
	}

	roots := pool(ca.Cert)
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	chains, err := c.Verify(opts)
	if err != nil {
		t.Fatalf("Verify(ClientAuth): %v", err)
	}
	if len(chains) != 1 || len(chains[0]) != 2 || !chains[0][1].Equal(ca.Cert) {
		t.Errorf("unexpected chains %v", chains)
	}
	if _, err := VerifyClient(c, nil, roots, time.Now()); err != nil {
		t.Errorf("VerifyClient: %v", err)
	}
	// Not good for server auth (x509 default usage is ServerAuth).
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Error("client certificate verified for server auth")
	}
	if _, err := VerifyClient(c, nil, pool(newTestCA(t).Cert), time.Now()); err == nil {
		t.Error("client certificate verified against an unrelated CA")
	}
}

func TestIssueClientRSA(t *testing.T) {
	ca := newTestCA(t)
	cl, err := IssueClient(ca, "bob@example.org", Options{KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	if DescribePublicKey(cl.Cert.PublicKey) != "RSA 2048" || cl.Cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("key %s usage %v", DescribePublicKey(cl.Cert.PublicKey), cl.Cert.KeyUsage)
	}
}

func TestIssueClientBadJID(t *testing.T) {
	ca := newTestCA(t)
	for _, jid := range []string{"", "alice", "@example.org", "alice@", "alice@example.org/phone",
		"a@b@c", "al ice@example.org", "alice@example..org", "alice@.example.org", "alice@example.org\n", "a\xffb@example.org"} {
		if _, err := IssueClient(ca, jid, Options{}); err == nil {
			t.Errorf("IssueClient(%q) succeeded", jid)
		} else if !strings.Contains(err.Error(), "JID") {
			t.Errorf("IssueClient(%q) error does not mention the JID: %v", jid, err)
		}
	}
}

// Non-ASCII JIDs cannot be rfc822Names (IA5String); the xmppAddr still
// carries them, as a UTF8String.
func TestIssueClientNonASCII(t *testing.T) {
	ca := newTestCA(t)
	jid := "jürgen@münchen.example"
	cl, err := IssueClient(ca, jid, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.Cert.EmailAddresses) != 0 {
		t.Errorf("EmailAddresses = %q", cl.Cert.EmailAddresses)
	}
	if addrs, err := XMPPAddrs(cl.Cert); err != nil || !slices.Equal(addrs, []string{jid}) {
		t.Errorf("XMPPAddrs = %q, %v", addrs, err)
	}
}

func TestIssueClientWithShapes(t *testing.T) {
	ca := newTestCA(t)
	const jid = "alice@example.org"
	tests := []struct {
		name       string
		opt        ClientOptions
		wantAddrs  []string
		wantEmail  []string
		wantCN     string
		critical   bool
		unhandled  bool // SAN ends up in UnhandledCriticalExtensions
		x509Verify bool // plain x509 Verify with ClientAuth succeeds
	}{
		{"default", ClientOptions{}, []string{jid}, []string{jid}, jid, false, false, true},
		{"critical with email", ClientOptions{CriticalSAN: true}, []string{jid}, []string{jid}, jid, true, false, true},
		{"only otherName", ClientOptions{OnlyOtherName: true}, []string{jid}, nil, "", false, false, true},
		{"only otherName critical", ClientOptions{OnlyOtherName: true, CriticalSAN: true}, []string{jid}, nil, "", true, true, false},
		{"several", ClientOptions{ExtraXMPPAddrs: []string{"bob@example.org", "carol@example.net/res"}},
			[]string{jid, "bob@example.org", "carol@example.net/res"}, []string{jid}, jid, false, false, true},
		{"no xmppAddr", ClientOptions{NoXMPPAddr: true}, nil, []string{jid}, jid, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := IssueClientWith(ca, jid, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			c := cl.Cert
			addrs, err := XMPPAddrs(c)
			if err != nil || !slices.Equal(addrs, tt.wantAddrs) {
				t.Errorf("XMPPAddrs = %q, %v; want %q", addrs, err, tt.wantAddrs)
			}
			if !slices.Equal(c.EmailAddresses, tt.wantEmail) {
				t.Errorf("EmailAddresses = %q, want %q", c.EmailAddresses, tt.wantEmail)
			}
			if c.Subject.CommonName != tt.wantCN {
				t.Errorf("CN = %q, want %q", c.Subject.CommonName, tt.wantCN)
			}
			if tt.wantCN == "" && len(c.RawSubject) != 2 { // empty SEQUENCE: 30 00
				t.Errorf("subject not empty: %x", c.RawSubject)
			}
			sans := sanExtensions(c)
			if len(sans) != 1 || sans[0].Critical != tt.critical {
				t.Errorf("SAN extensions %v, want one with critical=%v", sans, tt.critical)
			}
			if got := sanUnhandledIndex(c) >= 0; got != tt.unhandled {
				t.Errorf("SAN unhandled = %v, want %v", got, tt.unhandled)
			}
			_, err = c.Verify(x509.VerifyOptions{Roots: pool(ca.Cert), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
			if (err == nil) != tt.x509Verify {
				t.Errorf("x509 Verify error = %v, want success %v", err, tt.x509Verify)
			}
			// VerifyClient accepts all of these shapes.
			if _, err := VerifyClient(c, nil, pool(ca.Cert), time.Now()); err != nil {
				t.Errorf("VerifyClient: %v", err)
			}
		})
	}
}

func TestIssueClientWithEKUOverride(t *testing.T) {
	ca := newTestCA(t)
	cl, err := IssueClientWith(ca, "alice@example.org", ClientOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cl.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage = %v", cl.Cert.ExtKeyUsage)
	}
	_, err = VerifyClient(cl.Cert, nil, pool(ca.Cert), time.Now())
	var ce x509.CertificateInvalidError
	if !errors.As(err, &ce) || ce.Reason != x509.IncompatibleUsage {
		t.Errorf("VerifyClient with ServerAuth-only cert: %v, want IncompatibleUsage", err)
	}
}

func TestIssueClientWithContradictions(t *testing.T) {
	ca := newTestCA(t)
	for _, opt := range []ClientOptions{
		{NoXMPPAddr: true, OnlyOtherName: true},
		{NoXMPPAddr: true, ExtraXMPPAddrs: []string{"b@c"}},
	} {
		if _, err := IssueClientWith(ca, "a@b", opt); err == nil {
			t.Errorf("IssueClientWith(%+v) succeeded", opt)
		}
	}
	// An invalid UTF-8 extra value cannot be encoded as a UTF8String.
	if _, err := IssueClientWith(ca, "a@b", ClientOptions{ExtraXMPPAddrs: []string{"\xff"}}); err == nil {
		t.Error("invalid UTF-8 xmppAddr accepted")
	}
	// A non-ASCII JID with NoXMPPAddr would leave the SAN empty.
	if _, err := IssueClientWith(ca, "jürgen@example.org", ClientOptions{NoXMPPAddr: true}); err == nil {
		t.Error("empty SAN accepted")
	}
}
