package certs

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

func TestVerifyClientCriticalOtherNameOnly(t *testing.T) {
	ca := newTestCA(t)
	cl, err := IssueClientWith(ca, "alice@example.org", ClientOptions{CriticalSAN: true, OnlyOtherName: true})
	if err != nil {
		t.Fatal(err)
	}
	c := cl.Cert
	if !slices.ContainsFunc(c.UnhandledCriticalExtensions, OIDSubjectAltName.Equal) {
		t.Fatalf("crypto/x509 handled the otherName-only SAN: %v", c.UnhandledCriticalExtensions)
	}
	roots := pool(ca.Cert)

	// Plain Verify refuses the certificate...
	_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	var uce x509.UnhandledCriticalExtension
	if !errors.As(err, &uce) {
		t.Fatalf("x509 Verify: %v (%T), want UnhandledCriticalExtension", err, err)
	}

	// ...VerifyClient accepts it, because the SAN parses cleanly...
	chains, err := VerifyClient(c, nil, roots, time.Now())
	if err != nil {
		t.Fatalf("VerifyClient: %v", err)
	}
	if len(chains) != 1 || !chains[0][0].Equal(c) {
		t.Errorf("chains %v", chains)
	}
	// ...without touching the caller's certificate.
	if len(c.UnhandledCriticalExtensions) != 1 {
		t.Errorf("VerifyClient modified the certificate: %v", c.UnhandledCriticalExtensions)
	}
	// Plain Verify still fails afterwards.
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); !errors.As(err, &uce) {
		t.Errorf("second x509 Verify: %v", err)
	}
	// The chain checks still apply: wrong root, wrong time.
	if _, err := VerifyClient(c, nil, pool(newTestCA(t).Cert), time.Now()); err == nil {
		t.Error("VerifyClient accepted an unrelated root")
	}
	var ce x509.CertificateInvalidError
	if _, err := VerifyClient(c, nil, roots, time.Now().Add(3*365*24*time.Hour)); !errors.As(err, &ce) || ce.Reason != x509.Expired {
		t.Errorf("VerifyClient in 3 years: %v, want Expired", err)
	}
}

// If the critical SAN cannot be parsed, it stays unhandled and
// verification fails.
func TestVerifyClientMalformedCriticalSAN(t *testing.T) {
	ca := newTestCA(t)
	// GeneralNames { [0] { UTF8String "a" } }: framing fine for
	// crypto/x509 (which skips otherName), but no type-id.
	san := mustHex("3005" + "a003" + "0c0161")
	if _, err := parseXMPPAddrs(san); err == nil {
		t.Fatal("parser accepted an otherName without type-id")
	}
	c := certWithSAN(t, ca, san, true, "")
	if !slices.ContainsFunc(c.UnhandledCriticalExtensions, OIDSubjectAltName.Equal) {
		t.Fatalf("SAN not unhandled: %v", c.UnhandledCriticalExtensions)
	}
	_, err := VerifyClient(c, nil, pool(ca.Cert), time.Now())
	var uce x509.UnhandledCriticalExtension
	if !errors.As(err, &uce) {
		t.Errorf("VerifyClient: %v, want UnhandledCriticalExtension", err)
	}
}

// Only the SAN is cleared; any other unknown critical extension still
// makes verification fail.
func TestVerifyClientOtherCriticalExtension(t *testing.T) {
	ca := newTestCA(t)
	san := mustSAN(t, mustGN(otherNameUTF8(OIDXMPPAddr, "alice@example.org")))
	other := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}
	c := certWithSAN(t, ca, san, true, "", other)
	if len(c.UnhandledCriticalExtensions) != 2 {
		t.Fatalf("UnhandledCriticalExtensions = %v", c.UnhandledCriticalExtensions)
	}
	_, err := VerifyClient(c, nil, pool(ca.Cert), time.Now())
	var uce x509.UnhandledCriticalExtension
	if !errors.As(err, &uce) {
		t.Errorf("VerifyClient: %v, want UnhandledCriticalExtension", err)
	}
	if _, err := VerifyClient(nil, nil, pool(ca.Cert), time.Now()); err == nil {
		t.Error("VerifyClient(nil) succeeded")
	}
}

// End to end over TLS: the server certificate and client certificates
// work with crypto/tls, and the server can read the JID. It also pins
// down that crypto/tls's own client verification rejects the critical
// otherName-only shape, which is why VerifyClient exists.
func TestTLSClientAuth(t *testing.T) {
	ca := newTestCA(t)
	srv, err := IssueServer(ca, []string{"example.org", "localhost", "127.0.0.1"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	normal, err := IssueClient(ca, "alice@example.org", Options{})
	if err != nil {
		t.Fatal(err)
	}
	critical, err := IssueClientWith(ca, "bob@example.org", ClientOptions{CriticalSAN: true, OnlyOtherName: true})
	if err != nil {
		t.Fatal(err)
	}
	wrongEKU, err := IssueClientWith(ca, "eve@example.org", ClientOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		t.Fatal(err)
	}
	roots := pool(ca.Cert)

	// handshake returns the server-side error and the JIDs the server saw.
	handshake := func(client *Pair, builtin bool) ([]string, error) {
		var seen []string
		sc := &tls.Config{Certificates: []tls.Certificate{srv.TLSCertificate()}}
		if builtin {
			sc.ClientAuth = tls.RequireAndVerifyClientCert
			sc.ClientCAs = roots
		} else {
			sc.ClientAuth = tls.RequireAnyClientCert
			sc.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
				leaf, err := x509.ParseCertificate(raw[0])
				if err != nil {
					return err
				}
				if _, err := VerifyClient(leaf, nil, roots, time.Now()); err != nil {
					return err
				}
				seen, err = XMPPAddrs(leaf)
				return err
			}
		}
		cc := &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{client.TLSCertificate()}}
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		errc := make(chan error, 1)
		go func() {
			s := tls.Server(a, sc)
			err := s.Handshake()
			if err == nil {
				// Finish TLS 1.3 so the client side is not left waiting.
				_, err = s.Write([]byte("x"))
			}
			errc <- err
			a.Close()
		}()
		c := tls.Client(b, cc)
		cerr := c.Handshake()
		if cerr == nil {
			buf := make([]byte, 1)
			_, cerr = c.Read(buf)
		}
		serr := <-errc
		if serr == nil && cerr != nil {
			t.Errorf("client side failed while server succeeded: %v", cerr)
		}
		return seen, serr
	}

	if seen, err := handshake(normal, false); err != nil || !slices.Equal(seen, []string{"alice@example.org"}) {
		t.Errorf("normal cert via VerifyClient: %q, %v", seen, err)
	}
	if _, err := handshake(normal, true); err != nil {
		t.Errorf("normal cert via crypto/tls: %v", err)
	}
	if seen, err := handshake(critical, false); err != nil || !slices.Equal(seen, []string{"bob@example.org"}) {
		t.Errorf("critical cert via VerifyClient: %q, %v", seen, err)
	}
	if _, err := handshake(critical, true); err == nil {
		t.Error("crypto/tls accepted the critical otherName-only SAN; VerifyClient may no longer be needed")
	}
	if _, err := handshake(wrongEKU, false); err == nil {
		t.Error("ServerAuth-only certificate accepted for client auth")
	}
}
