package negotiation

// State is where the machine is in the life of a connection.
type State int

// The named states, in the order a connection goes through them.
const (
	// AwaitHeader: waiting for the client's stream header (at the start
	// and after every restart).
	AwaitHeader State = iota
	// Negotiating: headers exchanged, features being negotiated.
	Negotiating
	// TLSPending: STARTTLS accepted, the handshake is the connection's.
	TLSPending
	// Closed: the stream is over; nothing more is read.
	Closed
)

func (s State) String() string {
	switch s {
	case AwaitHeader:
		return "await-header"
	case Negotiating:
		return "negotiating"
	case TLSPending:
		return "tls-pending"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Dialect is the flavour of XMPP the client's first header chose.
type Dialect int

// The dialects on one port.
const (
	DialectUnknown Dialect = iota
	// RFC6120: version='1.0' or higher; <stream:features> after every header.
	RFC6120
	// Legacy: no version; features are asked for by declaring their
	// namespaces in the header (XEP-0035 STARTTLS, XEP-0034 SASL).
	Legacy
)

func (d Dialect) String() string {
	switch d {
	case RFC6120:
		return "rfc6120"
	case Legacy:
		return "legacy"
	}
	return "unknown"
}

// Facts are what is true of the connection, kept apart from the state:
// a feature says which facts it needs and which it forbids.
type Facts uint8

// The facts.
const (
	Secure        Facts = 1 << iota // TLS is active
	Authenticated                   // SASL or iq:auth succeeded
	Bound                           // a resource is bound; stanzas flow
)
