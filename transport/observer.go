package transport

import "jabberd/lab/wire"

// Observer watches one connection at fixed points, as net/http's ConnState
// hook watches a server's: the lab's transcript is one. The connection core
// calls it; the protocol drivers only say what their input was (Input) and
// report their machines' decisions (Note). Every call but Sent comes from
// the connection's own goroutine; Sent comes under the write lock, in the
// order of the wire.
type Observer interface {
	// Received: the client's next n bytes were one unit of input (an XML
	// element, an IRC line). data is those bytes as they came, or written
	// back with a secret redacted (redacted true); it is valid only during
	// the call.
	Received(data []byte, n int, redacted bool, what Input)
	// Sent: the server wrote data (a SASL payload arrives alone, redacted).
	Sent(data []byte, redacted bool)
	// TLSRequested: the client asked for TLS (or connected to a direct-TLS
	// port).
	TLSRequested()
	// TLSEstablished: the handshake completed.
	TLSEstablished(f *Facts)
	// TLSFailed: the handshake failed; f says what the core saw of it.
	TLSFailed(f HandshakeFailure)
	// Late: after the server ended the exchange (after says what ended
	// it: a failed handshake, a refused STARTTLS), the core listened for
	// what the client still sent; data is that, as it came (empty when
	// nothing came). Nothing parsed it.
	Late(data []byte, after string)
	// Noted: something the protocol machine decided.
	Noted(n Note)
	// Closed: the connection ended, for reason.
	Closed(reason string)
}

// HandshakeFailure is what the core saw of a failed handshake.
type HandshakeFailure struct {
	Err error
	// Plaintext is what the client sent where its ClientHello belonged,
	// when that was not TLS (nil when it was, or when nothing came).
	Plaintext []byte
	// Alert is the alert the client sent in the clear, by its RFC 8446
	// name ("" when none was read: Err may still name an encrypted one).
	Alert string
	// ServerName is the SNI of the ClientHello, when one was read.
	ServerName string
	// SecondHello: the client sent a second ClientHello where the records
	// of its first handshake belonged (it started over).
	SecondHello bool
}

// Input is what one unit of client input meant (the lab's wire.Input).
type Input = wire.Input

// NoteKind says what a Note reports.
type NoteKind int

// The notes a driver reports.
const (
	// NoteDialect: the stream's dialect is known (Text).
	NoteDialect NoteKind = iota + 1
	// NoteTLSRefused: a STARTTLS request was refused (Text is why). Offered
	// says TLS had been on offer (a refusal the client may fall back from).
	NoteTLSRefused
	// NoteAuth: an authentication attempt ended (Mechanism, Identity, OK,
	// Text is why it failed).
	NoteAuth
	// NoteInputRefused: input the server refused with a stream error
	// (Text); its bytes are unknown.
	NoteInputRefused
	// NoteEvent: anything else worth a line in a transcript (Text).
	NoteEvent
)

// Note is one decision of a protocol machine, for the observer.
type Note struct {
	Kind      NoteKind
	Text      string
	Mechanism string
	Identity  string
	OK        bool
	Offered   bool
}

// Segment ends one piece of a write: the bytes up to End (from the end of
// the previous segment), and whether they carry a secret.
type Segment struct {
	End    int
	Redact bool
}
