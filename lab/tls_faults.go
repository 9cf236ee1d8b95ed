package lab

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"jabberd/certs"
)

// faultIssuers issue the fault certificates, by Effect.CertFault. Each
// certificate is wrong in its one way and right in every other: signed by
// the lab CA (SHA-256), valid today, for the server's names and SNI names,
// for serverAuth, an ECDSA P-256 key. name is cert-<fault>, the name of
// its files and of the profile that presents it (sts-bad-port presents
// cert-untrusted-ca's too).
var faultIssuers = map[string]func(e *faultEnv, name string) (*faultMade, error){
	"expired": func(e *faultEnv, _ string) (*faultMade, error) {
		return e.server(certs.FaultOptions{Options: certs.Options{NotBefore: e.now.Add(-31 * day), Validity: 30 * day}})
	},
	"wrong-name": func(e *faultEnv, _ string) (*faultMade, error) {
		return made(certs.IssueServer(e.ca, []string{"wrong.invalid"}, certs.Options{}))
	},
	"self-signed": func(e *faultEnv, _ string) (*faultMade, error) {
		return made(certs.SelfSignedServer(e.names, certs.Options{}))
	},
	"untrusted-ca": func(e *faultEnv, _ string) (*faultMade, error) {
		other, err := certs.NewCA("jabberd lab: a CA nobody trusts", certs.Options{})
		if err != nil {
			return nil, err
		}
		return made(certs.IssueServer(other, e.names, certs.Options{}))
	},
	"weak-key": func(e *faultEnv, name string) (*faultMade, error) {
		key, err := e.keptRSA(name+".key", 1024, rsa1024)
		if err != nil {
			return nil, err
		}
		return e.server(certs.FaultOptions{Key: key})
	},
	"not-yet-valid": func(e *faultEnv, _ string) (*faultMade, error) {
		return e.server(certs.FaultOptions{Options: certs.Options{NotBefore: e.now.Add(day), Validity: 30 * day}})
	},
	"cn-only": (*faultEnv).cnOnly,
	"client-auth-eku": func(e *faultEnv, _ string) (*faultMade, error) {
		return e.server(certs.FaultOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	},
	// Its key may sign certificates, yet none of them verifies: the lab CA
	// allows no intermediate (path length 0).
	"leaf-is-ca": func(e *faultEnv, _ string) (*faultMade, error) {
		return e.server(certs.FaultOptions{CA: true})
	},
	"sha1": func(e *faultEnv, _ string) (*faultMade, error) {
		return e.server(certs.FaultOptions{SHA1: true})
	},
	"wildcard-apex": func(e *faultEnv, _ string) (*faultMade, error) {
		var names []string
		for _, n := range e.own {
			if net.ParseIP(n) == nil && !strings.HasPrefix(n, "*") && certs.CheckServerName("*."+n) == nil {
				names = append(names, "*."+n)
			}
		}
		if len(names) == 0 {
			return nil, errors.New("no DNS name to put a wildcard under")
		}
		return made(certs.IssueServer(e.ca, names, certs.Options{}))
	},
	"revoked-ocsp": func(e *faultEnv, _ string) (*faultMade, error) {
		m, err := e.server(certs.FaultOptions{})
		if err != nil {
			return nil, err
		}
		if m.staple, err = certs.RevokedOCSP(e.ca, m.pair.Cert, e.now.Add(-time.Hour)); err != nil {
			return nil, err
		}
		m.cert.OCSPStaple = m.staple
		return m, nil
	},
}

const day = 24 * time.Hour

// rsaServerFile names the RSA certificate of the weak-TLS profiles whose
// suites need one (rsa-server.crt and .key), when the server's own is not
// RSA.
const rsaServerFile = "rsa-server"

// faultEnv is what issuing the certificates needs.
type faultEnv struct {
	ca *certs.Pair
	// names are the server's names and their SNI names; own are the
	// server's names alone (the domain first).
	names, own []string
	base       *tls.Config
	now        time.Time
	// dir is where the certificates are written (STATE/lab-certs).
	dir string
}

// faultMade is one certificate as issued, with what the server presents
// with it.
type faultMade struct {
	// pair is the certificate and its key, written to the state directory;
	// nil for the server's own certificate.
	pair *certs.Pair
	cert tls.Certificate
	// staple is the OCSP response the server staples to it, if any.
	staple []byte
	// bySNI chooses the certificate by the client's server name, for a
	// fault that cannot carry every name in one certificate (cert-cn-only:
	// one CN each); cert serves any other. others are bySNI's pairs but
	// cert's, in the order issued, to be written.
	bySNI  map[string]*tls.Certificate
	others []*certs.Pair
}

// made wraps a freshly issued pair.
func made(p *certs.Pair, err error) (*faultMade, error) {
	if err != nil {
		return nil, err
	}
	return &faultMade{pair: p, cert: p.TLSCertificate()}, nil
}

// server issues a server certificate for every name, with opt's faults.
func (e *faultEnv) server(opt certs.FaultOptions) (*faultMade, error) {
	return made(certs.IssueServerFault(e.ca, e.names, opt))
}

// cnOnly issues certificates named only by their subject CN, without a
// subjectAltName: a certificate has one CN that a client's CN fallback
// reads (GnuTLS refuses a subject with several), so there is one for each
// of the server's DNS names and its <profile>.<name>, sharing a key; the
// client's SNI picks the one that carries its name, the domain's is the
// default.
func (e *faultEnv) cnOnly(profile string) (*faultMade, error) {
	var names []string
	seen := map[string]bool{}
	for _, base := range e.own {
		key := strings.ToLower(strings.TrimSuffix(base, "."))
		if seen[key] || net.ParseIP(base) != nil || strings.HasPrefix(base, "*") || certs.CheckServerName(base) != nil {
			continue
		}
		seen[key] = true
		names = append(names, base)
		if name := profile + "." + base; certs.CheckServerName(name) == nil {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no DNS name to put in a CN")
	}
	m := &faultMade{bySNI: map[string]*tls.Certificate{}}
	var key crypto.Signer
	for i, name := range names {
		p, err := certs.IssueServerFault(e.ca, []string{name}, certs.FaultOptions{CNOnly: true, Key: key})
		if err != nil {
			return nil, err
		}
		cert := p.TLSCertificate()
		if i == 0 {
			m.pair, m.cert, key = p, cert, p.Key
		} else {
			m.others = append(m.others, p)
		}
		m.bySNI[strings.ToLower(name)] = &cert
	}
	return m, nil
}

// rsaServer is an RSA certificate for the server's names, for the suites
// that need one (RSA key exchange, ECDHE_RSA with 3DES): the server's own
// when it is RSA, else one the lab CA issues anew.
func (e *faultEnv) rsaServer() (*faultMade, error) {
	if len(e.base.Certificates) > 0 {
		own := e.base.Certificates[0]
		leaf := own.Leaf
		if leaf == nil && len(own.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(own.Certificate[0])
		}
		if leaf != nil {
			if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() >= 2048 {
				return &faultMade{cert: own}, nil
			}
		}
	}
	key, err := e.keptRSA(rsaServerFile+".key", 2048, rsa2048)
	if err != nil {
		return nil, err
	}
	return e.server(certs.FaultOptions{Key: key})
}

// keptRSA is the RSA key of bits an earlier start wrote to file (in
// lab-certs), else the process's: the certificates are made anew at every
// start, their RSA keys are kept, as server.key is, because generating
// one is the slowest step of start-up by far (an RSA-2048 key takes tens
// of milliseconds, some over a hundred; the rest of NewTLS a few).
func (e *faultEnv) keptRSA(file string, bits int, gen func() (crypto.Signer, error)) (crypto.Signer, error) {
	if data, err := os.ReadFile(filepath.Join(e.dir, file)); err == nil {
		if block, _ := pem.Decode(data); block != nil {
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if rk, ok := k.(*rsa.PrivateKey); err == nil && ok && rk.N.BitLen() == bits {
				return rk, nil
			}
		}
	}
	return gen()
}

// rsa2048 and rsa1024 are made once per process, for the state
// directories that have none yet (a test process makes many).
var (
	rsa2048 = sync.OnceValues(func() (crypto.Signer, error) { return certs.NewKey(certs.RSA2048) })
	rsa1024 = sync.OnceValues(func() (crypto.Signer, error) { return certs.NewKey(certs.RSA1024Weak) })
)

// issued is every certificate NewTLS presents under a profile.
type issued struct {
	faults map[string]*faultMade // by Effect.CertFault
	rsa    *faultMade
}

// issueFaults issues every profile's fault certificate and the RSA
// certificate at once, each on its own goroutine: start-up waits for the
// slowest (an RSA key), not for their sum.
func issueFaults(e *faultEnv) (*issued, error) {
	out := &issued{faults: map[string]*faultMade{}}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(what string, issue func() (*faultMade, error), store func(*faultMade)) {
		wg.Go(func() {
			m, err := issue()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("lab certificate %s: %w", what, err))
				return
			}
			store(m)
		})
	}
	run("RSA", e.rsaServer, func(m *faultMade) { out.rsa = m })
	seen := map[string]bool{}
	for _, p := range profiles {
		fault := p.Effect.CertFault
		if fault == "" || seen[fault] {
			continue
		}
		seen[fault] = true
		issue, ok := faultIssuers[fault]
		if !ok {
			errs = append(errs, fmt.Errorf("lab profile %s: no certificate for the fault %q", p.Name, fault))
			continue
		}
		name := "cert-" + fault
		run(name, func() (*faultMade, error) { return issue(e, name) }, func(m *faultMade) { out.faults[fault] = m })
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// config is base presenting m's certificate.
func (m *faultMade) config(base *tls.Config) *tls.Config {
	c := base.Clone()
	c.GetConfigForClient = nil
	c.Certificates = []tls.Certificate{m.cert}
	c.GetCertificate = nil
	if m.bySNI != nil {
		c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			// nil: crypto/tls falls back to Certificates.
			return m.bySNI[strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))], nil
		}
	}
	return c
}

// save writes m into dir as name.crt and name.key (PEM), with the OCSP
// response as name.ocsp.der and each certificate chosen by SNI as
// name.<its CN>.crt. The files are rewritten at every start, so they are
// written plainly, not synced: a crash loses nothing the next start would
// not make anew.
func (m *faultMade) save(dir, name string) error {
	if m == nil || m.pair == nil {
		return errors.New("not issued")
	}
	base := filepath.Join(dir, name)
	keyDER, err := x509.MarshalPKCS8PrivateKey(m.pair.Key)
	if err != nil {
		return err
	}
	files := []faultFile{
		{base + ".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600},
		{base + ".crt", pemCert(m.pair.DER), 0o644},
	}
	if m.staple != nil {
		files = append(files, faultFile{base + ".ocsp.der", m.staple, 0o644})
	}
	for _, p := range m.others {
		files = append(files, faultFile{base + "." + p.Cert.Subject.CommonName + ".crt", pemCert(p.DER), 0o644})
	}
	for _, f := range files {
		if err := writeFile(f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// faultFile is one file save writes.
type faultFile struct {
	path string
	data []byte
	mode os.FileMode
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// writeFile writes data with exactly mode, whatever the umask and
// whatever mode an older file had.
func writeFile(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
