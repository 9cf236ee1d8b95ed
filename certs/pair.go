package certs

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Pair is a certificate with its key, PEM-encodable.
type Pair struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	DER  []byte // cert DER
}

// TLSCertificate returns p in the form crypto/tls wants. Leaf is filled in
// so that tls does not have to parse DER again on every handshake. Only
// the leaf is included: the lab CA issues directly, there is no
// intermediate to send, and peers are expected to hold the CA as a root.
func (p *Pair) TLSCertificate() tls.Certificate {
	return tls.Certificate{
		Certificate: [][]byte{p.DER},
		PrivateKey:  p.Key,
		Leaf:        p.Cert,
	}
}

// PEM block types. The key is always written as PKCS#8 ("PRIVATE KEY")
// because it is the one format that carries any key algorithm, so the
// file format does not change with the key type.
const (
	pemCertificate   = "CERTIFICATE"
	pemPrivateKey    = "PRIVATE KEY"
	pemECPrivateKey  = "EC PRIVATE KEY"
	pemRSAPrivateKey = "RSA PRIVATE KEY"
)

// Save writes the certificate (mode 0644) and the key (mode 0600) as PEM,
// creating missing parent directories with mode 0700 (they hold keys).
// Each file is written to a temporary name and renamed into place so that
// a crash or a full disk never leaves a truncated key that a later Load
// would misreport. The key is written first: if writing the certificate
// fails, the pair is "key without certificate", which EnsureState reports
// instead of silently using.
func (p *Pair) Save(certPath, keyPath string) error {
	if p == nil || p.Key == nil || len(p.DER) == 0 {
		return errors.New("save certificate: incomplete pair (need DER and key)")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(p.Key)
	if err != nil {
		return fmt.Errorf("encode key for %s: %w", keyPath, err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: keyDER})
	certPEM := pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: p.DER})
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("write key %s: %w", keyPath, unwrapPathError(err))
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return fmt.Errorf("write certificate %s: %w", certPath, unwrapPathError(err))
	}
	return nil
}

// writeFileAtomic writes data to path via a temporary file in the same
// directory (so the rename cannot cross file systems). The mode is set
// with Chmod so it is exact regardless of the umask.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	cleanup := func() { _ = os.Remove(tmp) }
	if err := f.Chmod(mode); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		cleanup()
		return err
	}
	return nil
}

// Load reads a PEM certificate and its PEM private key and checks that
// they belong together. Errors name the file and the reason, e.g.
// "read certificate /x/server.crt: no such file or directory", and wrap
// the underlying error so errors.Is(err, fs.ErrNotExist) works.
func Load(certPath, keyPath string) (*Pair, error) {
	return loadPair("", certPath, keyPath)
}

// loadPair is Load with a role ("server", "CA", "client alice") put in
// front of "certificate"/"key" in error messages, so that EnsureState's
// errors say which of its many files is at fault.
func loadPair(role, certPath, keyPath string) (*Pair, error) {
	certWhat, keyWhat := "certificate", "key"
	if role != "" {
		certWhat, keyWhat = role+" certificate", role+" key"
	}
	cert, der, err := readCertificate(certPath)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verbFor(err, certWhat), certPath, err)
	}
	key, err := readPrivateKey(keyPath)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", verbFor(err, keyWhat), keyPath, err)
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("%s %s does not match %s %s", keyWhat, keyPath, certWhat, certPath)
	}
	return &Pair{Cert: cert, Key: key, DER: der}, nil
}

// errRead marks I/O failures so loadPair can say "read ..." for those and
// "parse ..." for bad contents.
type errRead struct{ err error }

func (e errRead) Error() string { return e.err.Error() }
func (e errRead) Unwrap() error { return e.err }

func verbFor(err error, what string) string {
	var r errRead
	if errors.As(err, &r) {
		return "read " + what
	}
	return "parse " + what
}

// unwrapPathError strips the *fs.PathError wrapper (whose message repeats
// the path) because our messages already name the file.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadCertificates reads every CERTIFICATE block of a PEM file (a single
// certificate or a bundle), for `jabberd certs show`. Errors name the
// file; a file with no certificate at all is an error.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read certificate %s: %w", path, unwrapPathError(err))
	}
	var out []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != pemCertificate {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate %s (block %d): %w", path, len(out)+1, err)
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parse certificate %s: no PEM CERTIFICATE block", path)
	}
	return out, nil
}

func readCertificate(path string) (*x509.Certificate, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, errRead{unwrapPathError(err)}
	}
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, nil, errors.New("no PEM CERTIFICATE block")
		}
		if block.Type != pemCertificate {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, nil, err
		}
		return cert, block.Bytes, nil
	}
}

func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, errRead{unwrapPathError(err)}
	}
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key block")
		}
		var key any
		switch block.Type {
		case pemPrivateKey:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		// The legacy formats are accepted on read because openssl and
		// older tools still produce them; we only ever write PKCS#8.
		case pemECPrivateKey:
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case pemRSAPrivateKey:
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported key type %T", key)
		}
		return signer, nil
	}
}

// publicKeysEqual uses the Equal method every standard-library public key
// type has; a mismatched pair would otherwise only fail at TLS handshake
// time with a far less helpful message.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
