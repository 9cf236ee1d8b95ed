package irc

// Event is something that happened to the connection: a line from the
// client, or the outcome of work the connection did for the machine.
type Event interface{ event() }

// LineEvent is one line from the client, without its line ending. The
// driver parses it once (ParsedLine) and the parse travels with it; a
// LineEvent with neither Msg nor Err set is parsed by the machine (the
// transcript tests).
type LineEvent struct {
	Line []byte
	Msg  *Message // the parsed line, nil when Err is set
	Err  error    // why the line does not parse
}

// ParsedLine is the LineEvent of line, parsed.
func ParsedLine(line []byte) LineEvent {
	msg, err := ParseLine(line)
	return LineEvent{Line: line, Msg: msg, Err: err}
}

// TooLongEvent: the reader dropped a line longer than it buffers.
type TooLongEvent struct{}

// TLSEvent reports the handshake the machine asked for with StartTLS.
type TLSEvent struct {
	Info *TLSInfo // nil when the handshake failed
	Err  error
}

// PingEvent: the registered client was silent for the idle timeout; the
// machine pings it.
type PingEvent struct{}

// TimeoutEvent: a deadline passed (registration, or the answer to PING).
// Reason is what the client and its channels are told.
type TimeoutEvent struct{ Reason string }

// FloodEvent: the client sent lines faster than the flood limit allows.
type FloodEvent struct{}

// StopEvent: the server ends the connection (shutdown, a connection limit).
type StopEvent struct{ Reason string }

// HangupEvent: the client is gone (end of stream, read error); nothing can
// be written any more.
type HangupEvent struct{ Reason string }

func (LineEvent) event()    {}
func (TooLongEvent) event() {}
func (TLSEvent) event()     {}
func (PingEvent) event()    {}
func (TimeoutEvent) event() {}
func (FloodEvent) event()   {}
func (StopEvent) event()    {}
func (HangupEvent) event()  {}

// TLSInfo is what the machine knows about an established TLS layer.
type TLSInfo struct {
	Version string // "TLS 1.3"
	Cipher  string
	// ClientCert is the subject of the certificate the client showed, ""
	// when it showed none.
	ClientCert string
	// ClientVerified: the certificate chained to a configured client CA.
	ClientVerified bool
	// ClientError says why a shown certificate did not verify or map.
	ClientError string
	// Accounts are the accounts the verified certificate maps to: SASL
	// EXTERNAL is offered only when there is one at least.
	Accounts []string
}

// ActionKind says what the connection must do.
type ActionKind int

// The actions, performed by the connection in order.
const (
	// Send writes Line and CRLF (or Raw as it is) to the client.
	Send ActionKind = iota + 1
	// StartTLS hands the bytes the reader buffered past the STARTTLS line
	// to the TLS handshake, starts a fresh reader on the TLS connection and
	// reports the outcome with a TLSEvent.
	StartTLS
	// Close ends the connection after what was sent. Reason is for the log.
	Close
	// Welcomed: registration completed (Nick, User, Account) — for the log.
	Welcomed
	// NickChanged: a registered client took Nick — for the log.
	NickChanged
	// LoggedIn: SASL succeeded (Mechanism, Account) — for the log.
	LoggedIn
	// LoginFailed: a SASL attempt failed (Mechanism, Reason) — for the log.
	LoginFailed
	// Refused: STARTTLS was refused (Reason) — for the log.
	Refused
)

func (k ActionKind) String() string {
	switch k {
	case Send:
		return "send"
	case StartTLS:
		return "starttls"
	case Close:
		return "close"
	case Welcomed:
		return "welcomed"
	case NickChanged:
		return "nick"
	case LoggedIn:
		return "login"
	case LoginFailed:
		return "login-failed"
	case Refused:
		return "refused"
	}
	return "unknown"
}

// Action is one instruction from the machine to its connection.
type Action struct {
	Kind ActionKind
	Line string // Send: one line without CRLF
	Raw  []byte // Send: bytes written as they are (a lab behaviour)
	// Redact marks a line that carries a SASL payload: it is not logged.
	Redact    bool
	Reason    string // Close, LoginFailed, Refused
	Nick      string // Welcomed, NickChanged
	User      string // Welcomed
	Account   string // Welcomed (when logged in), LoggedIn
	Mechanism string // LoggedIn, LoginFailed
	// Offered (Refused): TLS was on offer and the request still failed —
	// a lab refusal (fail-starttls) or a server-side problem. A client
	// that goes on in plaintext after it falls back; the other refusals
	// (no TLS on the listener, TLS already on, after registration) are
	// not such a choice.
	Offered bool
}
