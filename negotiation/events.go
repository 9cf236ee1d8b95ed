package negotiation

import (
	"crypto/x509"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// Event is something that happened to the connection: the tokenizer's output,
// or the outcome of work the connection did for the machine.
type Event interface{ event() }

// HeaderEvent is the client's opening stream tag.
type HeaderEvent struct{ Header *stream.Header }

// ElementEvent is one complete depth-1 element, with its resolved namespace.
type ElementEvent struct {
	Element *etree.Element
	Space   string
}

// CloseEvent is the client's </stream:stream>.
type CloseEvent struct{}

// FaultEvent is a tokenizer fault (malformed or forbidden XML, a limit).
type FaultEvent struct{ Err *stream.Error }

// TLSEvent reports the STARTTLS handshake the machine asked for.
type TLSEvent struct {
	Info *TLSInfo // nil when the handshake failed
	Err  error
}

// TimeoutEvent: a deadline passed while waiting for the client.
type TimeoutEvent struct{ Waiting string }

// ResumeEvent answers a ResumeSM action: the resumed session's full JID
// and the count of stanzas it had received ("" JID: it cannot be resumed).
type ResumeEvent struct {
	JID string
	In  uint32
}

// StopEvent: the server ends the stream (system-shutdown when it stops,
// conflict when a newer session took this one's JID).
type StopEvent struct{ Err *stream.Error }

func (HeaderEvent) event()  {}
func (ElementEvent) event() {}
func (CloseEvent) event()   {}
func (FaultEvent) event()   {}
func (TLSEvent) event()     {}
func (TimeoutEvent) event() {}
func (StopEvent) event()    {}
func (ResumeEvent) event()  {}

// TLSInfo is what the machine needs to know about an established TLS layer.
type TLSInfo struct {
	Version     uint16
	CipherSuite uint16
	ServerName  string
	// PeerCertificates is the chain the client showed (leaf first), if any.
	PeerCertificates []*x509.Certificate
	// ClientVerified says the client certificate chained to a configured
	// client CA. Only then may EXTERNAL be offered.
	ClientVerified bool
	// ExternalIdentities are the accounts the verified certificate maps to
	// (XEP-0178). EXTERNAL is offered only when there is at least one.
	ExternalIdentities []string
	// Channel-binding data for SCRAM-*-PLUS.
	Exporter       func() []byte // tls-exporter (RFC 9266), derived when called; nil where the TLS version has none
	ServerEndPoint []byte        // tls-server-end-point (RFC 5929)
}

// ActionKind says what the connection must do.
type ActionKind int

// The actions, performed by the connection in the order given.
const (
	// Send writes Data to the client.
	Send ActionKind = iota + 1
	// StartTLS flushes, hands the bytes after the request to the TLS
	// handshake, starts a fresh tokenizer on the TLS connection and reports
	// the outcome with a TLSEvent.
	StartTLS
	// Restart starts a fresh tokenizer on the same connection.
	Restart
	// Close flushes and closes the connection. Reason is for the log.
	Close
	// LoggedIn reports a login (JID, Mechanism) for the log.
	LoggedIn
	// LoginFailed reports a failed attempt (Mechanism, Reason) for the log.
	LoginFailed
	// Registered reports an account created in band (JID) for the log.
	Registered
	// Bind registers the session under JID (a full JID) with the router;
	// an older session with the same JID is replaced.
	Bind
	// Route hands a stanza, its from stamped, to the router.
	Route
	// TLSRefused reports that a STARTTLS request was refused (Reason), for
	// the log and the lab's transcript.
	TLSRefused
	// EnableSM turns XEP-0198 on: the connection writes Data (<enabled/>)
	// through its queue, then counts and keeps what it sends; ID is the
	// resumption id ("" when not resumable).
	EnableSM
	// ResumeSM asks the connection to resume session ID of account JID
	// (bare), the client having received H stanzas; it answers with a
	// ResumeEvent.
	ResumeSM
	// AckedSM: the client acknowledged H stanzas in all.
	AckedSM
	// Reply writes Element through the connection's queue, counted as
	// a stanza when stream management is on.
	Reply
	// CSI reports the client's state (XEP-0352): Inactive or active.
	CSI
)

func (k ActionKind) String() string {
	switch k {
	case Send:
		return "send"
	case StartTLS:
		return "starttls"
	case Restart:
		return "restart"
	case Close:
		return "close"
	case LoggedIn:
		return "logged-in"
	case LoginFailed:
		return "login-failed"
	case Registered:
		return "registered"
	case Bind:
		return "bind"
	case Route:
		return "route"
	case TLSRefused:
		return "tls-refused"
	case EnableSM:
		return "enable-sm"
	case ResumeSM:
		return "resume-sm"
	case AckedSM:
		return "acked-sm"
	case Reply:
		return "reply"
	case CSI:
		return "csi"
	}
	return "unknown"
}

// Action is one instruction from the machine to its connection.
type Action struct {
	Kind   ActionKind
	Data   []byte // Send
	Redact bool   // Send: the data carries a SASL payload; do not log it
	Reason string // Close, LoginFailed
	// JID is the authenticated bare JID (LoggedIn) or the bound full
	// JID (Bind).
	JID       string
	Mechanism string         // LoggedIn, LoginFailed
	Element   *etree.Element // Route, Reply
	ID        string         // EnableSM, ResumeSM
	H         uint32         // ResumeSM, AckedSM
	Inactive  bool           // CSI
}
