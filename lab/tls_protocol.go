package lab

import (
	"crypto/tls"
	"fmt"
	"slices"
)

// weakConfigs make the configurations of the weak-TLS profiles
// (Effect.WeakTLS), by profile name, from a clone of the server's own; rsa
// is an RSA certificate for the server's names, for the suites that need
// one. Each bends one thing: the version, or the suites with TLS 1.2 and
// the server's names kept.
var weakConfigs = map[string]func(c *tls.Config, rsa tls.Certificate){
	"tls10-only": func(c *tls.Config, _ tls.Certificate) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
	},
	"tls11-only": func(c *tls.Config, _ tls.Certificate) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	},
	// CBC with HMAC (MAC-then-encrypt), forward secrecy kept: ECDHE only.
	// 3DES (Sweet32) is among them and needs an RSA certificate, which is
	// added beside the server's own; a client offering ECDSA suites meets
	// the server's own first.
	"tls12-cbc-only": func(c *tls.Config, rsa tls.Certificate) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		c.CipherSuites = cbcSuites()
		if !slices.ContainsFunc(c.Certificates, func(own tls.Certificate) bool { return sameCert(own, rsa) }) {
			c.Certificates = append(slices.Clip(c.Certificates), rsa)
		}
	},
	// RC4, the stream cipher RFC 7465 forbids in TLS, with ECDHE and with
	// RSA key transport (beside the RSA certificate for the RSA suites).
	"tls12-rc4": func(c *tls.Config, rsa tls.Certificate) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		c.CipherSuites = rc4Suites()
		if !slices.ContainsFunc(c.Certificates, func(own tls.Certificate) bool { return sameCert(own, rsa) }) {
			c.Certificates = append(slices.Clip(c.Certificates), rsa)
		}
	},
	// RSA key transport, AES-GCM: no forward secrecy and nothing else
	// wrong. crypto/tls negotiates these suites when they are listed
	// (GODEBUG tlsrsakex only puts them back in the default list, which
	// the standard profile keeps).
	"tls12-static-rsa": func(c *tls.Config, rsa tls.Certificate) {
		c.MinVersion, c.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		c.CipherSuites = staticRSASuites()
		c.Certificates = []tls.Certificate{rsa}
	},
}

// cbcSuites are the suites tls12-cbc-only offers: every CBC-mode suite
// crypto/tls implements with ECDHE, 3DES included.
func cbcSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	}
}

// rc4Suites are the suites tls12-rc4 offers: every RC4 suite crypto/tls
// still implements.
func rc4Suites() []uint16 {
	return []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_RC4_128_SHA}
}

// staticRSASuites are the suites tls12-static-rsa offers: RSA key
// transport with AES-GCM.
func staticRSASuites() []uint16 {
	return []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}
}

// weakConfig is the configuration of the weak-TLS profile name.
func weakConfig(name string, base *tls.Config, rsa tls.Certificate) (*tls.Config, error) {
	bend, ok := weakConfigs[name]
	if !ok {
		return nil, fmt.Errorf("lab profile %s: no weak-TLS configuration", name)
	}
	c := base.Clone()
	c.GetConfigForClient = nil
	bend(c, rsa)
	return c, nil
}

// sameCert reports whether a and b present the same leaf.
func sameCert(a, b tls.Certificate) bool {
	return len(a.Certificate) > 0 && len(b.Certificate) > 0 && string(a.Certificate[0]) == string(b.Certificate[0])
}
