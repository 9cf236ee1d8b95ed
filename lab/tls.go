package lab

import (
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"jabberd/certs"
)

// FaultDir is where the fault certificates are written, under the state
// directory, so that a tester can inspect what was presented.
const FaultDir = "lab-certs"

// TLS holds the TLS configurations of the profiles that bend the
// handshake. The fault certificates are made anew at every start: an
// expired one must be expired relative to today.
type TLS struct {
	variants map[string]*tls.Config // profile name → configuration
	slow     time.Duration
}

// NewTLS derives the profiles' configurations from base (the server's
// own) and writes the fault certificates, issued by ca, into
// stateDir/lab-certs. names are the server's (the domain first); the fault
// certificates carry them and their SNINames, so that a fault chosen by
// SNI is the only one the client meets, except cert-wrong-name's, which
// names only wrong.invalid.
func NewTLS(base *tls.Config, stateDir string, ca *certs.Pair, names []string, slow time.Duration) (*TLS, error) {
	t := &TLS{variants: map[string]*tls.Config{}, slow: slow}
	if len(names) > 0 {
		names = slices.Concat(names, SNINames(names[0], names[1:]))
	}
	dir := filepath.Join(stateDir, FaultDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lab certificates: %w", err)
	}
	other, err := certs.NewCA("jabberd lab: a CA nobody trusts", certs.Options{})
	if err != nil {
		return nil, err
	}
	day := 24 * time.Hour
	faults := []struct {
		name  string
		issue func() (*certs.Pair, error)
	}{
		{"expired", func() (*certs.Pair, error) {
			return certs.IssueServer(ca, names, certs.Options{NotBefore: time.Now().Add(-31 * day), Validity: 30 * day})
		}},
		{"wrong-name", func() (*certs.Pair, error) { return certs.IssueServer(ca, []string{"wrong.invalid"}, certs.Options{}) }},
		{"self-signed", func() (*certs.Pair, error) { return certs.SelfSignedServer(names, certs.Options{}) }},
		{"untrusted-ca", func() (*certs.Pair, error) { return certs.IssueServer(other, names, certs.Options{}) }},
		{"weak-key", func() (*certs.Pair, error) {
			return certs.IssueServer(ca, names, certs.Options{KeyType: certs.RSA1024Weak})
		}},
	}
	for _, f := range faults {
		p, err := f.issue()
		if err != nil {
			return nil, fmt.Errorf("lab certificate cert-%s: %w", f.name, err)
		}
		if err := p.Save(filepath.Join(dir, "cert-"+f.name+".crt"), filepath.Join(dir, "cert-"+f.name+".key")); err != nil {
			return nil, fmt.Errorf("lab certificate cert-%s: %w", f.name, err)
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		c.Certificates = []tls.Certificate{p.TLSCertificate()}
		t.variants["cert-"+f.name] = c
	}
	old := base.Clone()
	old.GetConfigForClient = nil
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	t.variants["tls10-only"] = old
	return t, nil
}

// Config returns the configuration of p's handshake (nil: the server's
// own). The slow-handshake profile holds the answer to the ClientHello
// here, until the delay passes or the handshake's context ends.
func (t *TLS) Config(p *Profile, hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if t == nil || p == nil {
		return nil, nil
	}
	if p.Effect.SlowHandshake && t.slow > 0 {
		timer := time.NewTimer(t.slow)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-hello.Context().Done():
			return nil, hello.Context().Err()
		}
	}
	if p.Effect.CertFault != "" {
		// A profile that presents a fault certificate by its fault's
		// name (sts-bad-port presents cert-untrusted-ca's).
		return t.variants["cert-"+p.Effect.CertFault], nil
	}
	return t.variants[p.Name], nil
}
