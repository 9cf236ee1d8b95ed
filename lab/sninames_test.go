package lab_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/certs"
	"jabberd/lab"
)

// TestSNINames: every profile under every DNS name, IP addresses and
// wildcards skipped, each name once, and each one chooses its profile.
func TestSNINames(t *testing.T) {
	profiles := lab.Names()

	got := lab.SNINames("localhost", []string{"localhost", "127.0.0.1", "::1", "LOCALHOST."})
	if len(got) != len(profiles) {
		t.Fatalf("localhost: %d names %v, want %d", len(got), got, len(profiles))
	}
	for i, p := range profiles {
		if want := p + ".localhost"; got[i] != want {
			t.Errorf("name %d: %q, want %q", i, got[i], want)
		}
	}

	got = lab.SNINames("example.org", []string{"example.org", "localhost", "127.0.0.1", "::1", "*.example.net"})
	if len(got) != 2*len(profiles) {
		t.Fatalf("example.org: %d names %v, want %d", len(got), got, 2*len(profiles))
	}
	for _, p := range profiles {
		for _, base := range []string{"example.org", "localhost"} {
			if !slices.Contains(got, p+"."+base) {
				t.Errorf("no %s.%s in %v", p, base, got)
			}
		}
	}
	for _, name := range got {
		if strings.Contains(name, "127.0.0.1") || strings.Contains(name, "::1") || strings.Contains(name, "*") {
			t.Errorf("%q made from an IP address or a wildcard", name)
		}
		p, ok := lab.FromSNI(name)
		if !ok || p.Name+"."+strings.SplitN(name, ".", 2)[1] != name {
			t.Errorf("FromSNI(%q) = %v %v", name, p, ok)
		}
		if err := certs.CheckServerName(name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}

	// A domain too long to take a profile label is left out, not made
	// into a name IssueServer would refuse (253 bytes at most): with the
	// shortest profile name, and with one byte less, where only that one
	// fits.
	shortest := slices.MinFunc(profiles, func(a, b string) int { return len(a) - len(b) })
	for _, fits := range []bool{false, true} {
		n := 253 - len(shortest) // the domain and its dot
		if fits {
			n--
		}
		long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", n-183)
		var want []string
		for _, p := range profiles {
			if len(p) == len(shortest) && fits {
				want = append(want, p+"."+long)
			}
		}
		if got := lab.SNINames(long, nil); !slices.Equal(got, want) {
			t.Errorf("for a %d-byte domain: %v, want %v", len(long), got, want)
		}
	}
}

// TestSNINamesServerCertificate: a state directory made before the
// profiles' names were wanted gets its server certificate reissued to
// carry them (the CA stays), and that certificate verifies, over a real
// handshake, for every profile that does not replace it, under localhost
// and the configured domain alike.
func TestSNINamesServerCertificate(t *testing.T) {
	dir := t.TempDir()
	names := []string{"example.org", "localhost", "127.0.0.1", "::1"}
	old, err := certs.EnsureState(dir, "example.org", names, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := certs.EnsureState(dir, "example.org", append(names, lab.SNINames("example.org", names)...), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.CA.Cert.Raw, old.CA.Cert.Raw) {
		t.Error("the CA was replaced")
	}
	if bytes.Equal(st.Server.Cert.Raw, old.Server.Cert.Raw) {
		t.Fatal("the server certificate was not reissued for the profiles' names")
	}
	srv := st.Server.Cert
	if want := 2 + 2*len(lab.Names()); len(srv.DNSNames) != want || len(srv.IPAddresses) != 2 {
		t.Errorf("server certificate: %d DNS names, %d IPs, want %d and 2", len(srv.DNSNames), len(srv.IPAddresses), want)
	}
	if srv.Subject.CommonName != "example.org" {
		t.Errorf("CN %q", srv.Subject.CommonName)
	}
	// Each name costs its length and a few bytes: the certificate stays
	// far from anything a handshake would mind (TestSNINamesManyProfiles
	// has forty profiles).
	if n := len(srv.Raw); n > 8<<10 {
		t.Errorf("server certificate is %d bytes", n)
	}
	t.Logf("server certificate: %d DNS names, %d bytes", len(srv.DNSNames), len(srv.Raw))
	again, err := certs.EnsureState(dir, "example.org", append(names, lab.SNINames("example.org", names)...), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Server.Cert.Raw, srv.Raw) {
		t.Error("the server certificate was reissued although it carries every name")
	}

	f := newSNIFixture(t, dir, st, names)
	for _, p := range lab.Profiles() {
		if p.Effect.CertFault != "" || p.Effect.WeakTLS {
			continue
		}
		for _, base := range []string{"localhost", "example.org"} {
			sni := p.Name + "." + base
			cs, chosen, err := f.handshake(t, sni)
			if err != nil {
				t.Errorf("%s: %v", sni, err)
				continue
			}
			// SNI comes with the handshake: a profile that acts before TLS
			// is not applied then (the transcript says so), but its name
			// still verifies.
			want := p.Name
			if p.Moment() < lab.InHandshake {
				want = ""
			}
			if chosen != want {
				t.Errorf("%s chose %q, want %q", sni, chosen, want)
			}
			if !bytes.Equal(cs.PeerCertificates[0].Raw, srv.Raw) {
				t.Errorf("%s: presented %q, not the server certificate", sni, cs.PeerCertificates[0].Subject)
			}
		}
	}
}

// TestSNINamesManyProfiles: IssueServer takes the names of forty profiles
// under two domains, and the certificate still verifies for the last.
func TestSNINamesManyProfiles(t *testing.T) {
	ca, err := certs.NewCA("test CA", certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"example.org", "localhost", "127.0.0.1", "::1"}
	for i := range 40 {
		names = append(names, fmt.Sprintf("profile-number-%02d.example.org", i), fmt.Sprintf("profile-number-%02d.localhost", i))
	}
	p, err := certs.IssueServer(ca, names, certs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if _, err := p.Cert.Verify(x509.VerifyOptions{DNSName: "profile-number-39.localhost", Roots: roots}); err != nil {
		t.Error(err)
	}
	t.Logf("%d names: %d bytes", len(names), len(p.Cert.Raw))
}

// sniFixture is a loopback TLS listener that lets the client choose a
// profile by SNI, as a listener with [lab] client_choice does.
type sniFixture struct {
	addr   string
	roots  *x509.CertPool
	chosen chan string
}

func newSNIFixture(t *testing.T, dir string, st *certs.State, names []string) *sniFixture {
	t.Helper()
	base := &tls.Config{Certificates: []tls.Certificate{st.Server.TLSCertificate()}, MinVersion: tls.VersionTLS12}
	labTLS, err := lab.NewTLS(base, dir, st.CA, names, 0)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &sniFixture{addr: ln.Addr().String(), roots: x509.NewCertPool(), chosen: make(chan string, 1)}
	f.roots.AddCert(st.CA.Cert)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			choice := lab.NewChoice(lab.ChoiceOptions{ClientChoice: true, TLS: labTLS}, nil, func(lab.Effect) {}, handshaking{})
			cfg := base.Clone()
			cfg.GetConfigForClient = choice.Upgrader()
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			tc.Handshake()
			name := ""
			if p := choice.Profile(); p != nil {
				name = p.Name
			}
			f.chosen <- name
			tc.Close()
		}
	}()
	return f
}

// handshaking is the connection a choice sees during the handshake: TLS
// is not up yet.
type handshaking struct{}

func (handshaking) Log() *zerolog.Logger {
	nop := zerolog.Nop()
	return &nop
}
func (handshaking) Secure() bool { return false }

// handshake connects with sni, verifying against the lab CA, and returns
// the client's state, the profile the server chose and the handshake's
// error.
func (f *sniFixture) handshake(t *testing.T, sni string) (tls.ConnectionState, string, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", f.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, &tls.Config{ServerName: sni, RootCAs: f.roots, MinVersion: tls.VersionTLS12})
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	err = tc.Handshake()
	cs := tc.ConnectionState()
	tc.Close()
	select {
	case chosen := <-f.chosen:
		return cs, chosen, err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the server did not finish the handshake", sni)
	}
	return cs, "", err
}
