package certs

import (
	"crypto/rand"
	"crypto/x509"
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
	tmpl, key, err := serverTemplate(names, opt)
	if err != nil {
		return nil, fmt.Errorf("self-signed server certificate: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("self-signed server certificate: %w", err)
	}
	return parsed(der, key)
}
