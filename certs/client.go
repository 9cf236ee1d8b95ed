package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ClientOptions are extra knobs for tests of the identity parser. The
// zero value (plus Options) produces exactly what IssueClient produces.
type ClientOptions struct {
	Options
	CriticalSAN    bool               // mark the SAN extension critical
	OnlyOtherName  bool               // SAN holds only the xmppAddr otherName (no email), and the subject CN is empty
	ExtraXMPPAddrs []string           // more xmppAddr values in the same SAN (not validated, so tests can put bad JIDs here)
	NoXMPPAddr     bool               // SAN holds only the email (and CN) — a cert with no xmppAddr
	ExtKeyUsage    []x509.ExtKeyUsage // override (e.g. ServerAuth only, for wrong-key-usage tests)
}

// IssueClientWith is IssueClient with test knobs.
//
// The SAN is built by hand and put in ExtraExtensions because crypto/x509
// cannot emit otherName. EmailAddresses/DNSNames are deliberately left
// empty on the template: the SAN we supply is the only one.
//
// Criticality: RFC 5280 requires a critical SAN only when the subject is
// empty. Normal certificates have CN = JID, so the SAN is non-critical.
// OnlyOtherName without CriticalSAN therefore yields a (deliberately)
// non-conforming certificate; combine it with CriticalSAN for the
// conforming shape, which crypto/x509 then reports in
// UnhandledCriticalExtensions (see VerifyClient).
//
// If the JID is not ASCII the rfc822Name is left out: IA5String cannot
// carry it, and the xmppAddr (a UTF8String) is the authoritative identity
// anyway.
func IssueClientWith(ca *Pair, jid string, opt ClientOptions) (*Pair, error) {
	if err := checkCA(ca); err != nil {
		return nil, fmt.Errorf("issue client certificate: %w", err)
	}
	if err := CheckBareJID(jid); err != nil {
		return nil, fmt.Errorf("issue client certificate: %w", err)
	}
	if opt.NoXMPPAddr && (opt.OnlyOtherName || len(opt.ExtraXMPPAddrs) > 0) {
		return nil, errors.New("issue client certificate: NoXMPPAddr contradicts OnlyOtherName/ExtraXMPPAddrs")
	}

	var names []asn1.RawValue
	if !opt.NoXMPPAddr {
		for _, addr := range append([]string{jid}, opt.ExtraXMPPAddrs...) {
			gn, err := otherNameUTF8(OIDXMPPAddr, addr)
			if err != nil {
				return nil, fmt.Errorf("issue client certificate for %s: %w", jid, err)
			}
			names = append(names, gn)
		}
	}
	if !opt.OnlyOtherName && isASCII(jid) {
		gn, err := rfc822Name(jid)
		if err != nil {
			return nil, fmt.Errorf("issue client certificate for %s: %w", jid, err)
		}
		names = append(names, gn)
	}
	san, err := marshalGeneralNames(names)
	if err != nil {
		return nil, fmt.Errorf("issue client certificate for %s: %w", jid, err)
	}

	notBefore, notAfter, err := opt.validity(DefaultLeafValidity)
	if err != nil {
		return nil, fmt.Errorf("issue client certificate for %s: %w", jid, err)
	}
	key, err := generateKey(opt.KeyType)
	if err != nil {
		return nil, fmt.Errorf("issue client certificate for %s: %w", jid, err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	eku := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if len(opt.ExtKeyUsage) > 0 {
		eku = append([]x509.ExtKeyUsage(nil), opt.ExtKeyUsage...)
	}
	var subject pkix.Name
	if !opt.OnlyOtherName {
		subject.CommonName = jid
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    notBefore,
		NotAfter:     clampToCA(notAfter, ca),
		// A client key only ever signs (the CertificateVerify message),
		// so no KeyEncipherment even for RSA.
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		ExtraExtensions: []pkix.Extension{{
			Id:       OIDSubjectAltName,
			Critical: opt.CriticalSAN,
			Value:    san,
		}},
	}
	return sign(tmpl, ca, key)
}

// CheckBareJID accepts "local@domain" and nothing else: no resource, no
// missing parts, no whitespace or control characters. It is a guard
// against typos and swapped arguments, not a full RFC 7622 (PRECIS)
// validator; the server's own JID code is authoritative.
func CheckBareJID(jid string) error {
	if !utf8.ValidString(jid) {
		return fmt.Errorf("JID %q is not valid UTF-8", jid)
	}
	if strings.Contains(jid, "/") {
		return fmt.Errorf("JID %q has a resource; want a bare JID local@domain", jid)
	}
	local, domain, ok := strings.Cut(jid, "@")
	if !ok || local == "" || domain == "" {
		return fmt.Errorf("JID %q is not of the form local@domain", jid)
	}
	if strings.Contains(domain, "@") {
		return fmt.Errorf("JID %q has more than one '@'", jid)
	}
	if len(local) > 1023 || len(domain) > 1023 {
		return fmt.Errorf("JID %q: localpart and domainpart are limited to 1023 bytes", jid)
	}
	for _, r := range jid {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("JID %q contains whitespace or control characters", jid)
		}
	}
	if strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return fmt.Errorf("JID %q has an empty label in its domain", jid)
	}
	return nil
}
