package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	ca := newTestCA(t)
	rsaCA, err := NewCA("rsa CA", Options{KeyType: RSA2048})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*Pair{ca, rsaCA} {
		t.Run(DescribePublicKey(p.Cert.PublicKey), func(t *testing.T) {
			dir := t.TempDir()
			// Nested, not yet existing directories must be created.
			certPath := filepath.Join(dir, "a", "b", "x.crt")
			keyPath := filepath.Join(dir, "a", "k", "x.key")
			if err := p.Save(certPath, keyPath); err != nil {
				t.Fatalf("Save: %v", err)
			}
			got, err := Load(certPath, keyPath)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !bytes.Equal(got.DER, p.DER) || !got.Cert.Equal(p.Cert) {
				t.Error("certificate changed in the round trip")
			}
			if !publicKeysEqual(got.Key.Public(), p.Key.Public()) {
				t.Error("key changed in the round trip")
			}
			if !got.Cert.NotBefore.Equal(p.Cert.NotBefore) || !got.Cert.NotAfter.Equal(p.Cert.NotAfter) {
				t.Error("validity changed in the round trip")
			}

			checkMode(t, certPath, 0o644)
			checkMode(t, keyPath, 0o600)
			checkMode(t, filepath.Join(dir, "a"), 0o700|fs.ModeDir)
			checkMode(t, filepath.Join(dir, "a", "b"), 0o700|fs.ModeDir)

			keyPEM, _ := os.ReadFile(keyPath)
			if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
				t.Errorf("key is not a PKCS#8 PRIVATE KEY block")
			}
			// No temporary files may be left behind.
			for _, d := range []string{filepath.Dir(certPath), filepath.Dir(keyPath)} {
				ents, _ := os.ReadDir(d)
				if len(ents) != 1 {
					t.Errorf("%s holds %d entries, want 1", d, len(ents))
				}
			}
		})
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
	}
}

func TestSaveOverwrites(t *testing.T) {
	dir := t.TempDir()
	c, k := filepath.Join(dir, "x.crt"), filepath.Join(dir, "x.key")
	a, b := newTestCA(t), newTestCA(t)
	if err := a.Save(c, k); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(c, k); err != nil {
		t.Fatal(err)
	}
	got, err := Load(c, k)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cert.Equal(b.Cert) {
		t.Error("second Save did not replace the first")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	other := newTestCA(t)
	c, k := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := ca.Save(c, k); err != nil {
		t.Fatal(err)
	}
	oc, ok := filepath.Join(dir, "o.crt"), filepath.Join(dir, "o.key")
	if err := other.Save(oc, ok); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badDER := filepath.Join(dir, "bad.crt")
	if err := os.WriteFile(badDER, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope.crt")

	tests := []struct {
		name, cert, key string
		want            []string
	}{
		{"missing cert", missing, k, []string{"read certificate " + missing + ": no such file"}},
		{"missing key", c, missing, []string{"read key " + missing + ": no such file"}},
		{"not PEM", garbage, k, []string{"parse certificate " + garbage, "no PEM CERTIFICATE block"}},
		{"bad DER", badDER, k, []string{"parse certificate " + badDER}},
		{"key not PEM", c, garbage, []string{"parse key " + garbage, "no PEM private key block"}},
		{"mismatch", c, ok, []string{"key " + ok + " does not match certificate " + c}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.cert, tt.key)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	if _, err := Load(missing, k); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v is not fs.ErrNotExist", err)
	}
	if _, err := loadPair("server", missing, k); err == nil || !strings.HasPrefix(err.Error(), "read server certificate "+missing+": no such file") {
		t.Errorf("role not in error: %v", err)
	}
}

// Keys written by openssl in the legacy SEC 1 format must load too.
func TestLoadLegacyECKey(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t)
	der, err := x509.MarshalECPrivateKey(ca.Key.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	c, k := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	os.WriteFile(c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.DER}), 0o644)
	os.WriteFile(k, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	if _, err := Load(c, k); err != nil {
		t.Fatal(err)
	}
}

func TestTLSCertificate(t *testing.T) {
	ca := newTestCA(t)
	srv, err := IssueServer(ca, []string{"example.org"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tc := srv.TLSCertificate()
	if len(tc.Certificate) != 1 || !bytes.Equal(tc.Certificate[0], srv.DER) || tc.Leaf != srv.Cert || tc.PrivateKey != srv.Key {
		t.Errorf("TLSCertificate = %+v", tc)
	}
}

func TestReadCertificates(t *testing.T) {
	dir := t.TempDir()
	a, b := newTestCA(t), newTestCA(t)
	bundle := filepath.Join(dir, "bundle.pem")
	var data []byte
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.DER})...)
	data = append(data, "junk between blocks\n"...)
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.DER})...)
	if err := os.WriteFile(bundle, data, 0o644); err != nil {
		t.Fatal(err)
	}
	certs, err := ReadCertificates(bundle)
	if err != nil || len(certs) != 2 || !certs[0].Equal(a.Cert) || !certs[1].Equal(b.Cert) {
		t.Errorf("ReadCertificates = %d certs, %v", len(certs), err)
	}
	keyOnly := filepath.Join(dir, "x.key")
	if err := a.Save(filepath.Join(dir, "x.crt"), keyOnly); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCertificates(keyOnly); err == nil || !strings.Contains(err.Error(), keyOnly) {
		t.Errorf("key file: %v", err)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := ReadCertificates(missing); err == nil || !strings.Contains(err.Error(), "read certificate "+missing+": no such file") {
		t.Errorf("missing file: %v", err)
	}
}
