package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
)

// KeyType names the algorithm and size of a generated key.
type KeyType string

const (
	// ECDSAP256 is the default: key generation is fast (milliseconds,
	// which matters for EnsureState at server start-up and for tests)
	// and every TLS 1.2/1.3 client supports it.
	ECDSAP256 KeyType = "ecdsa-p256"
	// RSA2048 exists for old clients that cannot do ECDSA.
	RSA2048 KeyType = "rsa-2048"
	// RSA4096 is slow to generate (seconds); only use it when asked.
	RSA4096 KeyType = "rsa-4096"
)

// ParseKeyType maps user input (a flag or a config value) to a KeyType.
// The empty string means the default, ECDSAP256, so that an unset option
// needs no special casing at call sites. The short forms "ecdsa" and "rsa"
// are accepted because that is what people type on a command line.
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ecdsa", string(ECDSAP256):
		return ECDSAP256, nil
	case "rsa", string(RSA2048):
		return RSA2048, nil
	case string(RSA4096):
		return RSA4096, nil
	}
	return "", fmt.Errorf("unknown key type %q (want %s, %s or %s; short forms: ecdsa, rsa)", s, ECDSAP256, RSA2048, RSA4096)
}

// normalize resolves the zero value to the default and rejects values that
// did not come through ParseKeyType, so a typo in an Options literal fails
// loudly instead of producing some other kind of key.
func (kt KeyType) normalize() (KeyType, error) {
	if kt == "" {
		return ECDSAP256, nil
	}
	if kt == RSA1024Weak {
		return kt, nil
	}
	return ParseKeyType(string(kt))
}

// generateKey creates a fresh private key of type kt.
func generateKey(kt KeyType) (crypto.Signer, error) {
	kt, err := kt.normalize()
	if err != nil {
		return nil, err
	}
	var key crypto.Signer
	switch kt {
	case RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096:
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case RSA1024Weak:
		key, err = rsa.GenerateKey(rand.Reader, 1024)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("generate %s key: %w", kt, err)
	}
	return key, nil
}

// isRSA reports whether pub is an RSA public key. RSA leaf certificates
// get KeyUsageKeyEncipherment in addition to DigitalSignature because TLS
// 1.2 RSA key exchange encrypts the premaster secret with the leaf key.
func isRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}

// DescribePublicKey gives a short human description ("ECDSA P-256",
// "RSA 2048") of a public key, for `jabberd certs show`.
func DescribePublicKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case nil:
		return "none"
	}
	return fmt.Sprintf("%T", pub)
}
