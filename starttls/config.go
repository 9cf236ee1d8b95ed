package starttls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"jabberd/tlspolicy"
)

// VerifyFunc checks a client's certificate chain (leaf first) against the
// configured client CAs. It is passed in so that the rules for client
// certificates (including a critical SAN holding only an otherName, which
// crypto/x509 would reject) live in one place.
type VerifyFunc func(chain []*x509.Certificate) error

// WithALPN returns a copy of cfg that negotiates protos (ALPN). Only
// direct-TLS listeners set it: crypto/tls refuses a client whose ALPN
// offer has nothing in common, and a STARTTLS client may offer anything.
func WithALPN(cfg *tls.Config, protos ...string) *tls.Config {
	c := cfg.Clone()
	c.NextProtos = protos
	return c
}

// Settings are the handshake settings of a listener, as configured.
type Settings struct {
	// MinVersion is the lowest TLS version accepted: "1.2" or "1.3".
	MinVersion string
	// ClientCerts is how hard the handshake asks for a client certificate.
	ClientCerts tlspolicy.ClientCertMode
}

// ServerConfig builds the TLS configuration of a listener. The client
// certificate modes map to crypto/tls deliberately:
//
//   - none:    tls.NoClientCert — never ask.
//   - request: tls.RequestClientCert — ask, accept whatever comes (or
//     nothing) and verify after the handshake: a certificate from another
//     CA must not break the handshake, it must only keep EXTERNAL away.
//   - require: tls.RequireAnyClientCert plus verify in VerifyPeerCertificate,
//     so the handshake fails without a certificate that verifies. Go's own
//     RequireAndVerifyClientCert is not used because it refuses xmppAddr
//     certificates whose critical SAN holds only an otherName.
func ServerConfig(cert tls.Certificate, t Settings, verify VerifyFunc) (*tls.Config, error) {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
	switch t.MinVersion {
	case "1.2":
	case "1.3":
		cfg.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("tls.min_version %q is not supported", t.MinVersion)
	}
	switch t.ClientCerts {
	case tlspolicy.ClientCertNone:
		cfg.ClientAuth = tls.NoClientCert
	case tlspolicy.ClientCertRequest:
		cfg.ClientAuth = tls.RequestClientCert
	case tlspolicy.ClientCertRequire:
		if verify == nil {
			return nil, errors.New("tls.client_certs = \"require\" needs client CAs to verify against")
		}
		cfg.ClientAuth = tls.RequireAnyClientCert
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			chain := make([]*x509.Certificate, 0, len(raw))
			for _, der := range raw {
				c, err := x509.ParseCertificate(der)
				if err != nil {
					return fmt.Errorf("client certificate: %w", err)
				}
				chain = append(chain, c)
			}
			return verify(chain)
		}
	default:
		return nil, fmt.Errorf("tls.client_certs %q is not supported", t.ClientCerts)
	}
	return cfg, nil
}
