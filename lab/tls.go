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
// handshake, built once at start-up: a handshake under a profile only
// picks its configuration, and one under none does no lab work at all. The
// fault certificates are made anew at every start: an expired one must be
// expired relative to today.
type TLS struct {
	variants map[string]*tls.Config // profile name → configuration
	slow     time.Duration
}

// NewTLS derives the profiles' configurations from base (the server's
// own) and writes the fault certificates, issued by ca, into
// stateDir/lab-certs. names are the server's (the domain first); the fault
// certificates carry them and their SNINames, so that a fault chosen by
// SNI is the only one the client meets, except where the fault is the
// name (cert-wrong-name names only wrong.invalid, cert-cn-only has no
// subjectAltName). The certificates are issued concurrently (tls_faults.go),
// the weak-TLS configurations are in tls_protocol.go.
func NewTLS(base *tls.Config, stateDir string, ca *certs.Pair, names []string, slow time.Duration) (*TLS, error) {
	t := &TLS{variants: map[string]*tls.Config{}, slow: slow}
	all := names
	if len(names) > 0 {
		all = slices.Concat(names, SNINames(names[0], names[1:]))
	}
	dir := filepath.Join(stateDir, FaultDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lab certificates: %w", err)
	}
	made, err := issueFaults(&faultEnv{ca: ca, names: all, own: names, base: base, now: time.Now(), dir: dir})
	if err != nil {
		return nil, err
	}
	// A fault certificate is named by its fault (cert-<fault>), whichever
	// profiles present it.
	for fault, m := range made.faults {
		name := "cert-" + fault
		if err := m.save(dir, name); err != nil {
			return nil, fmt.Errorf("lab certificate %s: %w", name, err)
		}
		t.variants[name] = m.config(base)
	}
	for _, p := range profiles {
		switch {
		case p.Effect.CertFault != "":
		case p.Effect.WeakTLS:
			c, err := weakConfig(p.Name, base, made.rsa.cert)
			if err != nil {
				return nil, err
			}
			t.variants[p.Name] = c
		}
	}
	if made.rsa.pair != nil {
		if err := made.rsa.save(dir, rsaServerFile); err != nil {
			return nil, fmt.Errorf("lab RSA certificate: %w", err)
		}
	}
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
