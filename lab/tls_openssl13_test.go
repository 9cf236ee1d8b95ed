package lab_test

// What openssl sees of the issue-13 profiles: each fault certificate's
// file (openssl x509, verify, ocsp) and the weak handshakes (s_client).

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openssl runs the openssl command in dir and returns its combined output
// and whether it exited 0.
func openssl(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("no openssl")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// TestFaultFilesOpenSSL: openssl reads each new fault certificate from
// lab-certs and sees its fault (where OpenSSL checks it at all, it refuses
// it; where it does not, the text shows it).
func TestFaultFilesOpenSSL(t *testing.T) {
	f := newLabTLSFixture(t, "")
	cases := []struct {
		file string
		// text must be in openssl x509 -text (and notText not).
		text, notText []string
		// verify is openssl verify's arguments after -CAfile ca.crt; ok
		// whether it succeeds, and out what it says.
		verify []string
		ok     bool
		out    string
	}{
		{file: "cert-not-yet-valid", verify: []string{"-purpose", "sslserver"}, out: "certificate is not yet valid"},
		{
			file: "cert-cn-only", text: []string{"Subject: CN = example.org\n"}, notText: []string{"Subject Alternative Name"},
			// OpenSSL's host check falls back to the CN unless told not to
			// (X509_CHECK_FLAG_NEVER_CHECK_SUBJECT).
			verify: []string{"-verify_hostname", "example.org"}, ok: true, out: "OK",
		},
		{
			file: "cert-client-auth-eku", text: []string{"TLS Web Client Authentication"}, notText: []string{"TLS Web Server Authentication"},
			verify: []string{"-purpose", "sslserver"}, out: "unsuitable certificate purpose",
		},
		{
			// OpenSSL takes a CA certificate as a server's, even strict.
			file: "cert-leaf-is-ca", text: []string{"CA:TRUE", "Certificate Sign"},
			verify: []string{"-x509_strict", "-purpose", "sslserver"}, ok: true, out: "OK",
		},
		{
			file: "cert-sha1", text: []string{"Signature Algorithm: ecdsa-with-SHA1"},
			verify: []string{"-auth_level", "1"}, out: "CA signature digest algorithm too weak",
		},
		{
			// The certificate itself is sound; the staple is checked below.
			file: "cert-revoked-ocsp", notText: []string{"SHA1", "CA:TRUE"},
			verify: []string{"-purpose", "sslserver", "-verify_hostname", "cert-revoked-ocsp.example.org"}, ok: true, out: "OK",
		},
		{
			file: "rsa-server", text: []string{"Public-Key: (2048 bit)", "Key Encipherment", "DNS:tls12-static-rsa.localhost"},
			verify: []string{"-purpose", "sslserver", "-verify_hostname", "tls12-static-rsa.example.org"}, ok: true, out: "OK",
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			crt := filepath.Join(f.dir, "lab-certs", c.file+".crt")
			text, ok := openssl(t, f.dir, "x509", "-noout", "-text", "-in", crt)
			if !ok {
				t.Fatalf("openssl x509: %s", text)
			}
			for _, s := range c.text {
				if !strings.Contains(text, s) {
					t.Errorf("openssl x509 -text lacks %q:\n%s", s, text)
				}
			}
			for _, s := range c.notText {
				if strings.Contains(text, s) {
					t.Errorf("openssl x509 -text has %q:\n%s", s, text)
				}
			}
			out, ok := openssl(t, f.dir, append(append([]string{"verify", "-CAfile", "ca.crt"}, c.verify...), crt)...)
			if ok != c.ok || !strings.Contains(out, c.out) {
				t.Errorf("openssl verify %v: %v, %s; want %v and %q", c.verify, ok, out, c.ok, c.out)
			}
		})
	}
	// The staple: a response signed by the lab CA, revoked for key
	// compromise.
	out, _ := openssl(t, f.dir, "ocsp", "-respin", "lab-certs/cert-revoked-ocsp.ocsp.der", "-issuer", "ca.crt", "-cert", "lab-certs/cert-revoked-ocsp.crt", "-CAfile", "ca.crt", "-resp_text")
	for _, want := range []string{"Response verify OK", "lab-certs/cert-revoked-ocsp.crt: revoked", "Revocation Reason: keyCompromise"} {
		if !strings.Contains(out, want) {
			t.Errorf("openssl ocsp lacks %q:\n%s", want, out)
		}
	}
}

// TestWeakTLSOpenSSL: openssl s_client against each weak-TLS profile and
// the OCSP one: with its defaults it refuses TLS 1.1 and takes CBC-only
// and static RSA (it offers both), and it shows what was negotiated and
// the revoked staple (s_client only reports it). OpenSSL 3 has no 3DES
// left to offer (TestCBCOnlyThreeDES has crypto/tls's).
func TestWeakTLSOpenSSL(t *testing.T) {
	cases := []struct {
		profile string
		args    []string
		ok      bool
		out     []string
	}{
		{"tls11-only", nil, false, nil},
		{"tls11-only", []string{"-brief", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}, true, []string{"Protocol version: TLSv1.1"}},
		{"tls12-cbc-only", []string{"-brief"}, true, []string{"Protocol version: TLSv1.2", "Ciphersuite: ECDHE-ECDSA-AES128-SHA\n"}},
		{"tls12-static-rsa", []string{"-brief"}, true, []string{"Protocol version: TLSv1.2", "Ciphersuite: AES128-GCM-SHA256"}},
		{"cert-revoked-ocsp", []string{"-status"}, true, []string{"OCSP Response Status: successful", "Cert Status: revoked"}},
	}
	for _, c := range cases {
		t.Run(c.profile, func(t *testing.T) {
			f := newLabTLSFixture(t, c.profile)
			done := make(chan labTLSEnd, 1)
			go func() { done <- <-f.ends }()
			out, ok := openssl(t, f.dir, append([]string{"s_client", "-connect", f.addr, "-servername", "localhost", "-CAfile", "ca.crt"}, c.args...)...)
			var end labTLSEnd
			select {
			case end = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("s_client %v never made a handshake: %s", c.args, out)
			}
			if ok != c.ok || (end.err == nil) != c.ok || end.profile != c.profile {
				t.Errorf("s_client %v: %v; server: %v under %q", c.args, ok, end.err, end.profile)
			}
			for _, want := range c.out {
				if !strings.Contains(out, want) {
					t.Errorf("s_client %v lacks %q:\n%s", c.args, want, out)
				}
			}
		})
	}
}
