// Package tlspolicy holds the TLS policies a listener is configured with:
// whether it offers STARTTLS (and insists on it, or starts TLS at once),
// and how hard its handshake asks for a client certificate. It is a leaf:
// the configuration, the protocol machines and the TLS layer all speak it
// without depending on one another.
package tlspolicy

// Policy says whether a listener offers STARTTLS and whether it insists on it.
type Policy string

// The listener policies.
const (
	Required Policy = "required" // STARTTLS offered; nothing else accepted before it
	Optional Policy = "optional" // STARTTLS offered; the client may go on in plaintext
	Disabled Policy = "disabled" // STARTTLS not offered at all
	// Direct starts TLS at once, before any XML (XEP-0368, "direct
	// TLS", usually port 5223); the stream inside needs no STARTTLS.
	Direct Policy = "direct"
)

// Available reports whether the listener offers STARTTLS.
func (p Policy) Available() bool { return p == Required || p == Optional }

// UsesTLS reports whether the listener needs a TLS configuration.
func (p Policy) UsesTLS() bool { return p != Disabled }

// ClientCertMode is how hard the TLS handshake asks for a client certificate.
// Whether a shown certificate may log in (SASL EXTERNAL) is a separate
// decision taken after the handshake, against the configured client CAs.
type ClientCertMode string

// The client-certificate modes.
const (
	ClientCertNone    ClientCertMode = "none"    // never asked
	ClientCertRequest ClientCertMode = "request" // asked for; the handshake goes on without one
	ClientCertRequire ClientCertMode = "require" // the handshake fails without a certificate that verifies
)
