package certs

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
)

// RSA1024Weak is a key too small for today's clients. Only the lab's
// cert-weak-key fault uses it: ParseKeyType never returns it, so no
// configuration can ask for it.
const RSA1024Weak KeyType = "rsa-1024-weak"

// SelfSignedServer issues a server certificate for names signed by its own
// key (subject and issuer are the certificate itself), for the lab's
// cert-self-signed fault: everything right but the signer.
func SelfSignedServer(names []string, opt Options) (*Pair, error) {
	if len(names) == 0 {
		return nil, errors.New("self-signed server certificate: no names")
	}
	dns, ips, err := splitNames(names)
	if err != nil {
		return nil, fmt.Errorf("self-signed server certificate: %w", err)
	}
	notBefore, notAfter, err := opt.validity(DefaultLeafValidity)
	if err != nil {
		return nil, err
	}
	key, err := generateKey(opt.KeyType)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0]},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              leafKeyUsage(key.Public()),
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dns,
		IPAddresses:           ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-signed server certificate: %w", err)
	}
	return parsed(der, key)
}
