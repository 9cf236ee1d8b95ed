package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Layout of the state directory; test harnesses rely on it, keep it stable.
//
//	DIR/ca.crt, DIR/ca.key, DIR/server.crt, DIR/server.key, DIR/clients/NAME.crt + DIR/clients/NAME.key
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
	ClientsDir     = "clients"
)

// minRemaining is how long a reused leaf must still be valid. A server
// that starts with a certificate expiring in minutes would fail its
// clients shortly after; reissuing at start-up is cheap.
const minRemaining = 24 * time.Hour

// State is the result of EnsureState.
type State struct {
	Dir     string
	CA      *Pair
	Server  *Pair
	Clients map[string]string // user name -> cert path (for printing)
	Created []string          // paths generated in this call (empty when everything was reused)
}

// ClientPaths returns where EnsureState keeps the pair of user name.
func ClientPaths(dir, name string) (certPath, keyPath string) {
	base := filepath.Join(dir, ClientsDir, name)
	return base + ".crt", base + ".key"
}

// EnsureState makes dir hold a usable lab PKI for domain, reusing what is
// already there so that restarting the server does not invalidate the CA
// or client certificates that have been handed out.
//
//   - The CA is loaded if ca.crt and ca.key both exist, else created as
//     "jabberd lab CA (<domain>)". Only one of the two present is an error:
//     silently replacing a CA would break every client that trusts it.
//   - The server pair is reused only if it is signed by this CA, valid for
//     at least another 24h, usable for serverAuth and covers the domain and
//     every name in serverNames; otherwise it is (re)issued. It is the one
//     pair that may be overwritten freely, since nothing outside the server
//     holds on to it.
//   - Each user gets clients/NAME.crt for the JID NAME@domain, reused if
//     signed by this CA, valid for at least 24h and carrying exactly that
//     xmppAddr, else reissued. A .crt without its .key (or the reverse) is
//     an error, as is a pair that cannot be read: those files may have been
//     handed to a user and should not vanish without the operator knowing.
//
// kt applies only to keys generated in this call. All keys are ECDSA P-256
// unless asked otherwise, which keeps a cold start in the milliseconds.
// EnsureState does not lock dir; do not run two at once on the same dir.
func EnsureState(dir, domain string, serverNames []string, users []string, kt KeyType) (*State, error) {
	if dir == "" {
		return nil, errors.New("certificate state: empty directory name")
	}
	if err := CheckBareJID("user@" + domain); err != nil {
		return nil, fmt.Errorf("certificate state: bad domain %q", domain)
	}
	kt, err := kt.normalize()
	if err != nil {
		return nil, fmt.Errorf("certificate state: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create certificate directory %s: %w", dir, unwrapPathError(err))
	}
	st := &State{Dir: dir, Clients: make(map[string]string)}
	opt := Options{KeyType: kt}
	now := time.Now()

	if st.CA, err = st.ensureCA(domain, opt, now); err != nil {
		return nil, err
	}
	names := append([]string{domain}, serverNames...)
	if st.Server, err = st.ensureServer(names, opt, now); err != nil {
		return nil, err
	}
	for _, name := range users {
		if _, done := st.Clients[name]; done {
			continue
		}
		certPath, err := st.ensureClient(name, domain, opt, now)
		if err != nil {
			return nil, err
		}
		st.Clients[name] = certPath
	}
	return st, nil
}

func (st *State) ensureCA(domain string, opt Options, now time.Time) (*Pair, error) {
	certPath, keyPath := filepath.Join(st.Dir, CACertFile), filepath.Join(st.Dir, CAKeyFile)
	present, err := pairPresence("CA", certPath, keyPath)
	if err != nil {
		return nil, err
	}
	if present {
		ca, err := loadPair("CA", certPath, keyPath)
		if err != nil {
			return nil, err
		}
		if err := checkCA(ca); err != nil {
			return nil, fmt.Errorf("CA certificate %s: %w", certPath, err)
		}
		if now.After(ca.Cert.NotAfter) {
			return nil, fmt.Errorf("CA certificate %s expired on %s; remove %s and %s to create a new CA (all issued certificates will be reissued)",
				certPath, ca.Cert.NotAfter.Format(time.RFC3339), certPath, keyPath)
		}
		return ca, nil
	}
	ca, err := NewCA("jabberd lab CA ("+domain+")", opt)
	if err != nil {
		return nil, err
	}
	if err := st.save(ca, certPath, keyPath); err != nil {
		return nil, err
	}
	return ca, nil
}

func (st *State) ensureServer(names []string, opt Options, now time.Time) (*Pair, error) {
	certPath, keyPath := filepath.Join(st.Dir, ServerCertFile), filepath.Join(st.Dir, ServerKeyFile)
	// Presence errors other than "missing" (e.g. permission denied) are
	// still reported; a half-present or unreadable server pair is simply
	// replaced.
	if present, err := pairPresence("server", certPath, keyPath); err != nil && !errors.Is(err, errHalfPair) {
		return nil, err
	} else if present {
		if p, err := loadPair("server", certPath, keyPath); err == nil && serverUsable(p, st.CA, names, now) {
			return p, nil
		}
	}
	p, err := IssueServer(st.CA, names, opt)
	if err != nil {
		return nil, err
	}
	if err := st.save(p, certPath, keyPath); err != nil {
		return nil, err
	}
	return p, nil
}

func (st *State) ensureClient(name, domain string, opt Options, now time.Time) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\@`) {
		return "", fmt.Errorf("client certificate: bad user name %q", name)
	}
	jid := name + "@" + domain
	if err := CheckBareJID(jid); err != nil {
		return "", fmt.Errorf("client certificate for user %q: %w", name, err)
	}
	certPath, keyPath := ClientPaths(st.Dir, name)
	role := "client " + name
	present, err := pairPresence(role, certPath, keyPath)
	if err != nil {
		return "", err
	}
	if present {
		p, err := loadPair(role, certPath, keyPath)
		if err != nil {
			return "", err
		}
		if clientUsable(p, st.CA, jid, now) {
			return certPath, nil
		}
	}
	p, err := IssueClient(st.CA, jid, opt)
	if err != nil {
		return "", err
	}
	if err := st.save(p, certPath, keyPath); err != nil {
		return "", err
	}
	return certPath, nil
}

func (st *State) save(p *Pair, certPath, keyPath string) error {
	if err := p.Save(certPath, keyPath); err != nil {
		return err
	}
	st.Created = append(st.Created, certPath, keyPath)
	return nil
}

// errHalfPair is wrapped by pairPresence when exactly one file of a pair
// exists, so that ensureServer can tell it apart from I/O errors.
var errHalfPair = errors.New("half of a certificate/key pair is missing")

// pairPresence reports whether both files exist (true), neither does
// (false), or only one does (an error naming the missing file).
func pairPresence(role, certPath, keyPath string) (bool, error) {
	certOK, err := fileExists(certPath)
	if err != nil {
		return false, fmt.Errorf("stat %s certificate %s: %w", role, certPath, err)
	}
	keyOK, err := fileExists(keyPath)
	if err != nil {
		return false, fmt.Errorf("stat %s key %s: %w", role, keyPath, err)
	}
	switch {
	case certOK && !keyOK:
		return false, fmt.Errorf("%s key %s is missing but its certificate %s exists; remove the certificate or restore the key: %w", role, keyPath, certPath, errHalfPair)
	case keyOK && !certOK:
		return false, fmt.Errorf("%s certificate %s is missing but its key %s exists; remove the key or restore the certificate: %w", role, certPath, keyPath, errHalfPair)
	}
	return certOK && keyOK, nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, unwrapPathError(err)
}

// issuedBy checks the signature, not just the issuer name: a CA
// regenerated with the same name must not make old leaves look valid.
func issuedBy(cert, ca *x509.Certificate) bool {
	return bytes.Equal(cert.RawIssuer, ca.RawSubject) && cert.CheckSignatureFrom(ca) == nil
}

// stillValid requires at least minRemaining of validity left.
func stillValid(cert *x509.Certificate, now time.Time) bool {
	return !now.Before(cert.NotBefore) && now.Add(minRemaining).Before(cert.NotAfter)
}

func serverUsable(p *Pair, ca *Pair, names []string, now time.Time) bool {
	if !issuedBy(p.Cert, ca.Cert) || !stillValid(p.Cert, now) || !slices.Contains(p.Cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		return false
	}
	for _, n := range names {
		if !certCoversName(p.Cert, n) {
			return false
		}
	}
	return true
}

// certCoversName checks literal membership in the SAN (DNS names without
// regard to case, IPs by value) rather than using VerifyHostname, so that
// a configured wildcard "*.example.org" counts as covered only by the same
// wildcard, not by some other name it happens to match.
func certCoversName(cert *x509.Certificate, name string) bool {
	if ip := net.ParseIP(name); ip != nil {
		return slices.ContainsFunc(cert.IPAddresses, ip.Equal)
	}
	name = strings.TrimSuffix(name, ".")
	return slices.ContainsFunc(cert.DNSNames, func(d string) bool {
		return strings.EqualFold(strings.TrimSuffix(d, "."), name)
	})
}

func clientUsable(p *Pair, ca *Pair, jid string, now time.Time) bool {
	if !issuedBy(p.Cert, ca.Cert) || !stillValid(p.Cert, now) || !slices.Contains(p.Cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return false
	}
	addrs, err := XMPPAddrs(p.Cert)
	return err == nil && len(addrs) == 1 && addrs[0] == jid
}
