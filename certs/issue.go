package certs

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Options are the knobs shared by every issuing function.
type Options struct {
	KeyType   KeyType
	Validity  time.Duration // 0 -> CA 10 years, leaf 825 days
	NotBefore time.Time     // zero -> now - 1h (clock skew); lets tests make expired certs
}

const (
	// DefaultCAValidity is long because replacing a lab CA means
	// redistributing it to every client.
	DefaultCAValidity = 10 * 365 * 24 * time.Hour
	// DefaultLeafValidity is 825 days, the longest lifetime Apple
	// platforms accept for TLS server certificates; larger values make
	// macOS/iOS clients reject the server outright.
	DefaultLeafValidity = 825 * 24 * time.Hour
	// clockSkew backdates NotBefore so that a peer whose clock is a bit
	// behind ours does not reject a certificate minted a second ago.
	clockSkew = time.Hour
)

// validity turns Options into a NotBefore/NotAfter window.
func (o Options) validity(def time.Duration) (notBefore, notAfter time.Time, err error) {
	if o.Validity < 0 {
		return time.Time{}, time.Time{}, fmt.Errorf("negative validity %v", o.Validity)
	}
	d := o.Validity
	if d == 0 {
		d = def
	}
	notBefore = o.NotBefore
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-clockSkew)
	}
	// Certificates carry whole seconds in UTC; truncating here means the
	// Pair returned by an issuing function compares equal to what Load
	// reads back.
	notBefore = notBefore.UTC().Truncate(time.Second)
	return notBefore, notBefore.Add(d), nil
}

// newSerial returns a random positive 127-bit serial number. Random
// serials (rather than a counter) mean no serial state has to be kept
// and two CAs created in the same second never collide.
func newSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never zero
}

// NewCA creates a self-signed CA. MaxPathLen 0 restricts it to issuing
// leaf certificates: the lab PKI has no intermediates, and a leaked leaf
// key must not be usable to mint further certificates.
func NewCA(commonName string, opt Options) (*Pair, error) {
	if strings.TrimSpace(commonName) == "" {
		return nil, errors.New("new CA: empty common name")
	}
	notBefore, notAfter, err := opt.validity(DefaultCAValidity)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	key, err := generateKey(opt.KeyType)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"jabberd lab"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // otherwise MaxPathLen 0 means "unlimited"
	}
	// Self-signed: the template is its own parent. SubjectKeyId is
	// derived from the key by crypto/x509 because IsCA is set.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("new CA %q: %w", commonName, err)
	}
	return parsed(der, key)
}

// IssueServer issues a TLS server certificate for names, which may be DNS
// names (wildcards allowed) or IP literals. The first name becomes the
// subject CN for the benefit of humans and old tools; verification uses
// only the SAN.
func IssueServer(ca *Pair, names []string, opt Options) (*Pair, error) {
	if err := checkCA(ca); err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	tmpl, key, err := serverTemplate(names, opt)
	if err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	tmpl.NotAfter = clampToCA(tmpl.NotAfter, ca)
	return sign(tmpl, ca, key)
}

// serverTemplate makes the key and the unsigned certificate of a server
// for names: SANs from the names, the first one as CN, serverAuth.
func serverTemplate(names []string, opt Options) (*x509.Certificate, crypto.Signer, error) {
	return serverTemplateKey(names, opt, nil)
}

// serverTemplateKey is serverTemplate for key; nil makes a new one of
// opt.KeyType.
func serverTemplateKey(names []string, opt Options, key crypto.Signer) (*x509.Certificate, crypto.Signer, error) {
	if len(names) == 0 {
		return nil, nil, errors.New("no names")
	}
	dns, ips, err := splitNames(names)
	if err != nil {
		return nil, nil, err
	}
	notBefore, notAfter, err := opt.validity(DefaultLeafValidity)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", names[0], err)
	}
	if key == nil {
		if key, err = generateKey(opt.KeyType); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", names[0], err)
		}
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              leafKeyUsage(key.Public()),
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}, key, nil
}

// IssueClient issues a client certificate for the bare JID "user@domain".
// The identity is carried twice in the subjectAltName: as the
// id-on-xmppAddr otherName that RFC 6120 §13.7.1.4 defines for SASL
// EXTERNAL, and as an rfc822Name, because most TLS stacks and tools
// (including crypto/x509) only understand the latter. The subject CN is
// the JID too, for humans.
func IssueClient(ca *Pair, jid string, opt Options) (*Pair, error) {
	return IssueClientWith(ca, jid, ClientOptions{Options: opt})
}

// splitNames sorts names into DNS names and IP addresses, drops duplicates
// and rejects values that crypto/x509 would refuse or that would make a
// certificate no client can match.
func splitNames(names []string) (dns []string, ips []net.IP, err error) {
	seen := make(map[string]bool)
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			key := ip.String()
			if !seen[key] {
				seen[key] = true
				ips = append(ips, ip)
			}
			continue
		}
		if err := checkDNSName(n); err != nil {
			return nil, nil, err
		}
		key := strings.ToLower(n)
		if !seen[key] {
			seen[key] = true
			dns = append(dns, n)
		}
	}
	return dns, ips, nil
}

// CheckServerName accepts what IssueServer accepts for one name: an IP
// literal or a DNS name (optionally with a leading "*." wildcard). The
// CLI uses it to report bad names as usage errors before generating keys.
func CheckServerName(name string) error {
	if net.ParseIP(name) != nil {
		return nil
	}
	return checkDNSName(name)
}

// checkDNSName is a sanity check, not a full RFC 1035 validator: it
// catches the mistakes people make on a command line (empty strings,
// spaces, URLs, host:port) before they end up baked into a certificate.
func checkDNSName(n string) error {
	if n == "" {
		return errors.New("empty server name")
	}
	if len(n) > 253 {
		return fmt.Errorf("server name %.20q... is longer than 253 bytes", n)
	}
	labels := strings.Split(strings.TrimSuffix(n, "."), ".")
	if labels[0] == "*" && len(labels) < 2 {
		return fmt.Errorf("server name %q: a wildcard needs a domain after it", n)
	}
	for i, label := range labels {
		if label == "" {
			return fmt.Errorf("server name %q has an empty label", n)
		}
		if label == "*" && i == 0 {
			continue // wildcard, allowed as the whole leftmost label only
		}
		for _, r := range label {
			ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
			if !ok {
				return fmt.Errorf("server name %q is neither an IP address nor a DNS name (bad character %q)", n, r)
			}
		}
	}
	return nil
}

// leafKeyUsage: signatures for everyone; RSA keys additionally need
// KeyEncipherment for TLS 1.2 RSA key transport, which strict clients
// check for.
func leafKeyUsage(pub crypto.PublicKey) x509.KeyUsage {
	ku := x509.KeyUsageDigitalSignature
	if isRSA(pub) {
		ku |= x509.KeyUsageKeyEncipherment
	}
	return ku
}

// clampToCA keeps a leaf from outliving its issuer. crypto/x509 does not
// check nesting, but other verifiers do, and a leaf that is "valid" past
// its CA's expiry only produces confusing errors later.
func clampToCA(notAfter time.Time, ca *Pair) time.Time {
	if notAfter.After(ca.Cert.NotAfter) {
		return ca.Cert.NotAfter
	}
	return notAfter
}

// checkCA rejects pairs that cannot sign, so the failure names the cause
// instead of surfacing as an opaque CreateCertificate error.
func checkCA(ca *Pair) error {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return errors.New("no CA (need certificate and key)")
	}
	if !ca.Cert.IsCA || !ca.Cert.BasicConstraintsValid {
		return fmt.Errorf("%q is not a CA certificate", ca.Cert.Subject.CommonName)
	}
	if ca.Cert.KeyUsage != 0 && ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return fmt.Errorf("CA %q may not sign certificates (no certSign key usage)", ca.Cert.Subject.CommonName)
	}
	return nil
}

// sign creates the certificate from tmpl under ca, for key's public half.
func sign(tmpl *x509.Certificate, ca *Pair, key crypto.Signer) (*Pair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign certificate for %q: %w", tmpl.Subject.CommonName, err)
	}
	return parsed(der, key)
}

// parsed builds a Pair from freshly created DER. Parsing it back (rather
// than returning the template) means the Pair holds exactly what a peer
// will see, including fields crypto/x509 filled in.
func parsed(der []byte, key crypto.Signer) (*Pair, error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse generated certificate: %w", err)
	}
	return &Pair{Cert: cert, Key: key, DER: der}, nil
}
