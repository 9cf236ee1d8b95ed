package lab_test

// The certificate and TLS-protocol profiles of issue 13 over real
// handshakes on loopback: a careful client (the lab CA, AEAD suites, TLS
// 1.2 at least, the checks crypto/tls leaves to it) refuses each, a naive
// one (any certificate, any version and suite) completes it; each fault
// certificate has its one fault and no other.

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"jabberd/certs"
	"jabberd/lab"
)

// labTLSFixture is a loopback TLS listener of a lab server: the profile of
// the listener, or the one the client's SNI chooses.
type labTLSFixture struct {
	dir   string
	st    *certs.State
	tls   *lab.TLS
	addr  string
	roots *x509.CertPool
	ends  chan labTLSEnd
}

// labTLSEnd is how the server's side of a handshake ended.
type labTLSEnd struct {
	profile string // the profile in force ("" standard)
	err     error
	state   tls.ConnectionState
}

// fixtureNames are the server's names: a domain, localhost and loopback.
var fixtureNames = []string{"example.org", "localhost", "127.0.0.1", "::1"}

func newLabTLSFixture(t *testing.T, listener string) *labTLSFixture {
	t.Helper()
	dir := t.TempDir()
	st, err := certs.EnsureState(dir, "example.org", append(fixtureNames, lab.SNINames("example.org", fixtureNames)...), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	base := &tls.Config{Certificates: []tls.Certificate{st.Server.TLSCertificate()}, MinVersion: tls.VersionTLS12}
	labTLS, err := lab.NewTLS(base, dir, st.CA, fixtureNames, 0)
	if err != nil {
		t.Fatal(err)
	}
	var profile *lab.Profile
	if listener != "" {
		var ok bool
		if profile, ok = lab.Lookup(listener); !ok || profile == nil {
			t.Fatalf("no profile %q", listener)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &labTLSFixture{dir: dir, st: st, tls: labTLS, addr: ln.Addr().String(), roots: x509.NewCertPool(), ends: make(chan labTLSEnd, 1)}
	f.roots.AddCert(st.CA.Cert)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			choice := lab.NewChoice(lab.ChoiceOptions{ClientChoice: true, TLS: labTLS, Profile: profile}, nil, func(lab.Effect) {}, handshaking{})
			cfg := base.Clone()
			cfg.GetConfigForClient = choice.Upgrader()
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			err = tc.Handshake()
			end := labTLSEnd{err: err, state: tc.ConnectionState()}
			if p := choice.Profile(); p != nil {
				end.profile = p.Name
			}
			f.ends <- end
			tc.Close()
		}
	}()
	return f
}

// dial makes a handshake with cfg and returns the client's state and
// error and how the server's side ended.
func (f *labTLSFixture) dial(t *testing.T, cfg *tls.Config) (tls.ConnectionState, error, labTLSEnd) {
	t.Helper()
	c, err := net.DialTimeout("tcp", f.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, cfg)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	err = tc.Handshake()
	cs := tc.ConnectionState()
	if err == nil {
		// TLS 1.3: the server's handshake ends with the client's
		// Finished, which a first write flushes.
		_, _ = tc.Write([]byte("x"))
	}
	tc.Close()
	select {
	case end := <-f.ends:
		return cs, err, end
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the server did not finish the handshake", cfg.ServerName)
	}
	return cs, err, labTLSEnd{}
}

// carefulSuites are TLS 1.2's AEAD suites with ECDHE (RFC 9325 §4.2), all a
// careful client offers below TLS 1.3.
var carefulSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// carefulConfig trusts the lab CA only, offers TLS 1.2 and 1.3 with AEAD
// suites, and checks what crypto/tls leaves to the client (carefulChecks).
func carefulConfig(roots *x509.CertPool, sni string) *tls.Config {
	return &tls.Config{ServerName: sni, RootCAs: roots, MinVersion: tls.VersionTLS12, CipherSuites: carefulSuites, VerifyConnection: carefulChecks}
}

// carefulChecks are the checks crypto/tls leaves to a client: an RSA key
// of 2048 bits at least, a leaf that is no CA (crypto/x509 takes one), and
// the stapled OCSP response, which crypto/tls asks for and never reads
// (RFC 6066 §8: the client MUST check it and abort if it is not
// satisfactory).
func carefulChecks(cs tls.ConnectionState) error {
	leaf := cs.PeerCertificates[0]
	if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		return fmt.Errorf("refusing a %d-bit RSA key", k.N.BitLen())
	}
	if leaf.IsCA {
		return errors.New("refusing a CA certificate as the server's")
	}
	if len(cs.OCSPResponse) > 0 {
		if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) < 2 {
			return errors.New("a stapled OCSP response without an issuer to check it against")
		}
		resp, err := ocsp.ParseResponseForCert(cs.OCSPResponse, leaf, cs.VerifiedChains[0][1])
		if err != nil {
			return fmt.Errorf("stapled OCSP response: %w", err)
		}
		if resp.Status != ocsp.Good {
			return fmt.Errorf("the stapled OCSP response says %s", ocspStatus(resp.Status))
		}
	}
	return nil
}

func ocspStatus(s int) string {
	switch s {
	case ocsp.Good:
		return "good"
	case ocsp.Revoked:
		return "revoked"
	}
	return "unknown"
}

// naiveConfig accepts any certificate, any version from TLS 1.0 and any
// suite crypto/tls has, insecure ones included.
func naiveConfig(sni string) *tls.Config {
	var suites []uint16
	for _, s := range slices.Concat(tls.CipherSuites(), tls.InsecureCipherSuites()) {
		suites = append(suites, s.ID)
	}
	return &tls.Config{ServerName: sni, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, CipherSuites: suites}
}

// faultsOf lists what is wrong with a presented leaf, one check at a time:
// the name, the issuer (the lab CA's signature, whatever its hash), a
// SHA-1 signature, the dates, the key, the usage (serverAuth), the CA bit,
// the stapled OCSP status.
func faultsOf(t *testing.T, leaf *x509.Certificate, sni string, ca *x509.Certificate, staple []byte) []string {
	t.Helper()
	var out []string
	if leaf.VerifyHostname(sni) != nil {
		out = append(out, "name")
	}
	if ca.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) != nil {
		out = append(out, "issuer")
	}
	if leaf.SignatureAlgorithm == x509.SHA1WithRSA || leaf.SignatureAlgorithm == x509.ECDSAWithSHA1 {
		out = append(out, "sha1")
	}
	if now := time.Now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		out = append(out, "dates")
	}
	if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		out = append(out, "key")
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		out = append(out, "usage")
	}
	if leaf.IsCA || leaf.KeyUsage&x509.KeyUsageCertSign != 0 {
		out = append(out, "ca")
	}
	if len(staple) > 0 {
		resp, err := ocsp.ParseResponseForCert(staple, leaf, ca)
		if err != nil {
			t.Fatalf("the stapled OCSP response: %v", err)
		}
		if resp.Status != ocsp.Good {
			out = append(out, "revoked")
		}
	}
	return out
}

// certFaultCases: every certificate profile, the one fault its certificate
// has, and the careful client's refusal.
var certFaultCases = []struct {
	profile string
	fault   string
	refused func(error) bool
}{
	{"cert-expired", "dates", func(err error) bool {
		var inv x509.CertificateInvalidError
		return errors.As(err, &inv) && inv.Reason == x509.Expired && strings.Contains(err.Error(), "is after")
	}},
	{"cert-wrong-name", "name", func(err error) bool {
		var he x509.HostnameError
		return errors.As(err, &he)
	}},
	{"cert-self-signed", "issuer", func(err error) bool {
		var ua x509.UnknownAuthorityError
		return errors.As(err, &ua)
	}},
	{"cert-untrusted-ca", "issuer", func(err error) bool {
		var ua x509.UnknownAuthorityError
		return errors.As(err, &ua)
	}},
	{"cert-weak-key", "key", func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "refusing a 1024-bit RSA key")
	}},
	{"cert-not-yet-valid", "dates", func(err error) bool {
		var inv x509.CertificateInvalidError
		return errors.As(err, &inv) && inv.Reason == x509.Expired && strings.Contains(err.Error(), "is before")
	}},
	{"cert-cn-only", "name", func(err error) bool {
		var he x509.HostnameError
		return errors.As(err, &he) && strings.Contains(err.Error(), "legacy Common Name")
	}},
	{"cert-client-auth-eku", "usage", func(err error) bool {
		var inv x509.CertificateInvalidError
		return errors.As(err, &inv) && inv.Reason == x509.IncompatibleUsage
	}},
	{"cert-leaf-is-ca", "ca", func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "refusing a CA certificate")
	}},
	{"cert-sha1", "sha1", func(err error) bool {
		var ua x509.UnknownAuthorityError
		return errors.As(err, &ua) && strings.Contains(err.Error(), "insecure algorithm")
	}},
	{"cert-revoked-ocsp", "revoked", func(err error) bool {
		return err != nil && strings.Contains(err.Error(), "the stapled OCSP response says revoked")
	}},
}

// TestCertFaultsOneEach: for every certificate profile, chosen by SNI
// under the domain and under localhost, the careful client refuses the
// handshake for the profile's fault, the naive one completes it, and the
// certificate presented has that fault and no other.
func TestCertFaultsOneEach(t *testing.T) {
	f := newLabTLSFixture(t, "")
	var names []string
	for _, p := range lab.Profiles() {
		// A profile only its port can choose is tested by its listener
		// (TestCertWildcardApex).
		if p.Category == lab.CategoryCertificates && !p.PortOnly {
			names = append(names, p.Name)
		}
	}
	var cases []string
	for _, c := range certFaultCases {
		cases = append(cases, c.profile)
	}
	if !slices.Equal(cases, names) {
		t.Fatalf("cases %v, want one per certificate profile %v", cases, names)
	}
	for _, base := range []string{"localhost", "example.org"} {
		for _, c := range certFaultCases {
			sni := c.profile + "." + base
			t.Run(sni, func(t *testing.T) {
				_, err, end := f.dial(t, carefulConfig(f.roots, sni))
				if end.profile != c.profile {
					t.Errorf("the server chose %q, want %s", end.profile, c.profile)
				}
				if !c.refused(err) {
					t.Errorf("careful client: %v", err)
				}
				if end.err == nil {
					t.Errorf("the server's side of the refused handshake succeeded")
				}

				cs, err, end := f.dial(t, naiveConfig(sni))
				if err != nil || end.err != nil {
					t.Fatalf("naive client: %v; server: %v", err, end.err)
				}
				leaf := cs.PeerCertificates[0]
				if got := faultsOf(t, leaf, sni, f.st.CA.Cert, cs.OCSPResponse); !slices.Equal(got, []string{c.fault}) {
					t.Errorf("the certificate's faults: %v, want only %s", got, c.fault)
				}
				if len(cs.PeerCertificates) != 1 {
					t.Errorf("%d certificates presented, want the leaf alone", len(cs.PeerCertificates))
				}
				// Its file is what was presented (cn-only: one per name,
				// the domain's the default).
				file := c.profile + ".crt"
				if c.profile == "cert-cn-only" {
					file = c.profile + "." + sni + ".crt"
				}
				onDisk := readCert(t, f.dir, file)
				if !onDisk.Equal(leaf) {
					t.Errorf("presented %q, not %s", leaf.Subject, file)
				}
			})
		}
	}
}

// readCert reads a certificate of lab-certs.
func readCert(t *testing.T, dir, file string) *x509.Certificate {
	t.Helper()
	cs, err := certs.ReadCertificates(dir + "/" + lab.FaultDir + "/" + file)
	if err != nil || len(cs) != 1 {
		t.Fatalf("%s: %v (%d certificates)", file, err, len(cs))
	}
	return cs[0]
}

// TestCertCNOnly: the certificate names the server in its subject CN only,
// no subjectAltName at all, and its one CN is the name the client asked
// for: by SNI, or the domain's when the listener chose the profile and the
// client names the domain (an IP address or an unknown name gets the
// domain's too).
func TestCertCNOnly(t *testing.T) {
	f := newLabTLSFixture(t, "cert-cn-only")
	for _, c := range []struct{ sni, cn string }{
		{"example.org", "example.org"},
		{"localhost", "localhost"},
		{"LOCALHOST.", "localhost"},
		{"cert-cn-only.localhost", "cert-cn-only.localhost"},
		{"cert-cn-only.example.org", "cert-cn-only.example.org"},
		{"", "example.org"},
		{"other.invalid", "example.org"},
	} {
		cs, err, end := f.dial(t, naiveConfig(c.sni))
		if err != nil || end.profile != "cert-cn-only" {
			t.Fatalf("%q: %v, profile %q", c.sni, err, end.profile)
		}
		leaf := cs.PeerCertificates[0]
		if leaf.Subject.CommonName != c.cn || len(leaf.Subject.Names) != 1 {
			t.Errorf("%q: subject %q, want only CN=%s", c.sni, leaf.Subject, c.cn)
		}
		if len(leaf.DNSNames)+len(leaf.IPAddresses)+len(leaf.EmailAddresses)+len(leaf.URIs) != 0 || hasExtension(leaf, "2.5.29.17") {
			t.Errorf("%q: a subjectAltName: %v %v", c.sni, leaf.DNSNames, leaf.IPAddresses)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: f.roots}); err != nil {
			t.Errorf("%q: without a name to match, the certificate does not verify: %v", c.sni, err)
		}
	}
	// The careful client refuses it under the listener's profile too.
	if _, err, _ := f.dial(t, carefulConfig(f.roots, "localhost")); err == nil || !strings.Contains(err.Error(), "legacy Common Name") {
		t.Errorf("careful client: %v", err)
	}
}

func hasExtension(c *x509.Certificate, oid string) bool {
	return slices.ContainsFunc(c.Extensions, func(e pkix.Extension) bool { return e.Id.String() == oid })
}

// TestWeakTLSProfiles: under each weak-TLS profile, by the listener or by
// SNI, a careful client (TLS 1.2 at least, AEAD suites with ECDHE) finds
// nothing to share and the handshake fails on the server's side with the
// client's offer as the reason; a naive one (TLS 1.0 up, every suite)
// completes it with the weak version or suite. Only the version or the
// suites are wrong: the certificate is sound and carries the names.
func TestWeakTLSProfiles(t *testing.T) {
	cbc := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	}
	staticRSA := []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}
	cases := []struct {
		profile   string
		version   uint16
		suites    []uint16 // what the naive client may get (nil: any)
		rsa       bool     // the RSA certificate is presented
		serverErr string   // why the careful client's handshake failed, on the server's side
	}{
		{"tls10-only", tls.VersionTLS10, nil, false, "client offered only unsupported versions"},
		{"tls11-only", tls.VersionTLS11, nil, false, "client offered only unsupported versions"},
		{"tls12-cbc-only", tls.VersionTLS12, cbc, false, "no cipher suite supported by both client and server"},
		{"tls12-rc4", tls.VersionTLS12, []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA}, false, "no cipher suite supported by both client and server"},
		{"tls12-static-rsa", tls.VersionTLS12, staticRSA, true, "no cipher suite supported by both client and server"},
	}
	var names []string
	for _, p := range lab.Profiles() {
		if p.Effect.WeakTLS {
			names = append(names, p.Name)
		}
	}
	var got []string
	for _, c := range cases {
		got = append(got, c.profile)
	}
	if !slices.Equal(got, names) {
		t.Fatalf("cases %v, want one per weak-TLS profile %v", got, names)
	}
	for _, c := range cases {
		for _, by := range []string{lab.ByListener, lab.BySNI} {
			t.Run(c.profile+"/"+by, func(t *testing.T) {
				listener, sni := c.profile, "localhost"
				if by == lab.BySNI {
					listener, sni = "", c.profile+".example.org"
				}
				f := newLabTLSFixture(t, listener)
				_, err, end := f.dial(t, carefulConfig(f.roots, sni))
				if err == nil || end.err == nil || !strings.Contains(end.err.Error(), c.serverErr) || end.profile != c.profile {
					t.Errorf("careful client: %v; server: %v under %q, want %q", err, end.err, end.profile, c.serverErr)
				}
				// crypto/tls's defaults, which the standard profile keeps:
				// TLS 1.2 at least, no RSA key transport; but CBC suites.
				_, err, end = f.dial(t, &tls.Config{ServerName: sni, RootCAs: f.roots})
				if ok := err == nil; ok != (c.profile == "tls12-cbc-only") {
					t.Errorf("a client with crypto/tls's defaults: %v; server: %v", err, end.err)
				}

				cs, err, end := f.dial(t, naiveConfig(sni))
				if err != nil || end.err != nil {
					t.Fatalf("naive client: %v; server: %v", err, end.err)
				}
				if cs.Version != c.version || (c.suites != nil && !slices.Contains(c.suites, cs.CipherSuite)) {
					t.Errorf("negotiated %s %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
				}
				leaf := cs.PeerCertificates[0]
				if got := faultsOf(t, leaf, sni, f.st.CA.Cert, cs.OCSPResponse); len(got) != 0 {
					t.Errorf("the certificate has faults %v", got)
				}
				_, isRSA := leaf.PublicKey.(*rsa.PublicKey)
				if isRSA != c.rsa || (c.rsa && !leaf.Equal(readCert(t, f.dir, "rsa-server.crt"))) || (!c.rsa && !leaf.Equal(f.st.Server.Cert)) {
					t.Errorf("presented %s, RSA %v; want RSA %v", leaf.Subject, isRSA, c.rsa)
				}
				if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() != 2048 {
					t.Errorf("an RSA key of %d bits", k.N.BitLen())
				}
			})
		}
	}
}

// TestCBCOnlyThreeDES: a client that offers 3DES alone meets it under
// tls12-cbc-only (Sweet32), with the RSA certificate, since the suite needs
// one; a client that offers ECDSA suites meets the server's own.
func TestCBCOnlyThreeDES(t *testing.T) {
	f := newLabTLSFixture(t, "tls12-cbc-only")
	cfg := naiveConfig("localhost")
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA}
	cs, err, _ := f.dial(t, cfg)
	if err != nil || cs.CipherSuite != tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA {
		t.Fatalf("3DES: %v, %s", err, tls.CipherSuiteName(cs.CipherSuite))
	}
	if !cs.PeerCertificates[0].Equal(readCert(t, f.dir, "rsa-server.crt")) {
		t.Errorf("3DES with %s", cs.PeerCertificates[0].Subject)
	}
	cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
	cs, err, _ = f.dial(t, cfg)
	if err != nil || cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA || !cs.PeerCertificates[0].Equal(f.st.Server.Cert) {
		t.Errorf("ECDSA CBC: %v, %s with %s", err, tls.CipherSuiteName(cs.CipherSuite), cs.PeerCertificates[0].Subject)
	}
}

// TestStandardProfileUntouched: with every variant built, a connection
// under no profile gets the server's own configuration (TLS 1.3, its
// certificate, no staple), NewTLS changed nothing of the server's
// configuration, and every handshake profile has its configuration.
func TestStandardProfileUntouched(t *testing.T) {
	f := newLabTLSFixture(t, "")
	for _, sni := range []string{"localhost", "example.org", "", "unknown.example.org"} {
		cs, err, end := f.dial(t, carefulConfig(f.roots, sni))
		if sni == "" || sni == "unknown.example.org" {
			// No name to verify against: the careful client would refuse
			// it; what matters is the server's side.
			cs, err, end = f.dial(t, &tls.Config{ServerName: sni, InsecureSkipVerify: true})
		}
		if err != nil || end.err != nil || end.profile != "" {
			t.Fatalf("%q: %v; server: %v under %q", sni, err, end.err, end.profile)
		}
		if cs.Version != tls.VersionTLS13 || !cs.PeerCertificates[0].Equal(f.st.Server.Cert) || len(cs.OCSPResponse) != 0 {
			t.Errorf("%q: %s with %s, staple %d bytes", sni, tls.VersionName(cs.Version), cs.PeerCertificates[0].Subject, len(cs.OCSPResponse))
		}
	}
	base := &tls.Config{Certificates: []tls.Certificate{f.st.Server.TLSCertificate()}, MinVersion: tls.VersionTLS12}
	if _, err := lab.NewTLS(base, f.dir, f.st.CA, fixtureNames, 0); err != nil {
		t.Fatal(err)
	}
	if base.MaxVersion != 0 || base.CipherSuites != nil || len(base.Certificates) != 1 || base.GetCertificate != nil || base.Certificates[0].OCSPStaple != nil {
		t.Errorf("NewTLS changed the server's configuration: %+v", base)
	}
	for _, p := range lab.Profiles() {
		cfg, err := f.tls.Config(p, &tls.ClientHelloInfo{ServerName: "localhost"})
		if bends := p.Effect.CertFault != "" || p.Effect.WeakTLS; err != nil || (cfg != nil) != bends {
			t.Errorf("%s: configuration %v, %v", p.Name, cfg != nil, err)
		}
	}
}

// TestNewTLSKeepsRSAKeys: the certificates are made anew at every start,
// the RSA keys are read back (generating them is the slowest step), and a
// key file that is not the right RSA key is replaced.
func TestNewTLSKeepsRSAKeys(t *testing.T) {
	dir := t.TempDir()
	st, err := certs.EnsureState(dir, "example.org", append(fixtureNames, lab.SNINames("example.org", fixtureNames)...), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	base := &tls.Config{Certificates: []tls.Certificate{st.Server.TLSCertificate()}, MinVersion: tls.VersionTLS12}
	load := func(name string) *certs.Pair {
		p, err := certs.Load(filepath.Join(dir, lab.FaultDir, name+".crt"), filepath.Join(dir, lab.FaultDir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	start := func() (rsa2048, rsa1024, ecdsa *certs.Pair) {
		if _, err := lab.NewTLS(base, dir, st.CA, fixtureNames, 0); err != nil {
			t.Fatal(err)
		}
		return load("rsa-server"), load("cert-weak-key"), load("cert-expired")
	}
	a, b, c := start()
	a2, b2, c2 := start()
	for _, p := range []struct {
		old, new *certs.Pair
		kept     bool
	}{{a, a2, true}, {b, b2, true}, {c, c2, false}} {
		if p.old.Cert.Equal(p.new.Cert) {
			t.Errorf("%s: the certificate was not made anew", p.old.Cert.Subject)
		}
		if kept := p.old.Key.(interface{ Equal(crypto.PrivateKey) bool }).Equal(p.new.Key); kept != p.kept {
			t.Errorf("%s: key kept %v, want %v", p.old.Cert.Subject, kept, p.kept)
		}
	}
	// A key of the wrong size (or garbage) is not taken.
	if err := os.WriteFile(filepath.Join(dir, lab.FaultDir, "rsa-server.key"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, lab.FaultDir, "cert-weak-key.key"), filepath.Join(dir, lab.FaultDir, "rsa-server.key")); err != nil {
		t.Fatal(err)
	}
	a3, _, _ := start()
	if k := a3.Key.Public().(*rsa.PublicKey); k.N.BitLen() != 2048 {
		t.Errorf("rsa-server.key has %d bits", k.N.BitLen())
	}
	for _, name := range []string{"rsa-server.key", "cert-weak-key.key", "cert-expired.key"} {
		if fi, err := os.Stat(filepath.Join(dir, lab.FaultDir, name)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, fi.Mode(), err)
		}
	}
}

// TestCertWildcardApex: chosen by its listener, cert-wildcard-apex shows a
// certificate for *.<name> alone: the careful client, naming the domain,
// refuses it for the name and nothing else; the naive one takes it. Chosen
// by SNI it is refused (the wildcard would cover the SNI name: no fault).
func TestCertWildcardApex(t *testing.T) {
	f := newLabTLSFixture(t, "cert-wildcard-apex")
	_, err, end := f.dial(t, carefulConfig(f.roots, "localhost"))
	var he x509.HostnameError
	if !errors.As(err, &he) || end.profile != "cert-wildcard-apex" {
		t.Errorf("careful client: %v under %q, want a hostname error under cert-wildcard-apex", err, end.profile)
	}
	cs, err, _ := f.dial(t, naiveConfig("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	leaf := cs.PeerCertificates[0]
	if got := faultsOf(t, leaf, "localhost", f.st.CA.Cert, cs.OCSPResponse); !slices.Equal(got, []string{"name"}) {
		t.Errorf("faults %v, want only the name", got)
	}
	if leaf.VerifyHostname("anything.localhost") != nil {
		t.Errorf("names %v: the wildcard does not cover one label below", leaf.DNSNames)
	}
	if p, _ := lab.Lookup("cert-wildcard-apex"); !p.PortOnly {
		t.Error("cert-wildcard-apex may be chosen by SNI, under which it is no fault")
	}
}
