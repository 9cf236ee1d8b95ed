package stream

import (
	"bytes"
	"fmt"
)

// Condition is an RFC 6120 §4.9.3 stream error condition.
type Condition string

// The stream error conditions jabberd sends.
const (
	BadFormat              Condition = "bad-format"
	BadNamespacePrefix     Condition = "bad-namespace-prefix"
	Conflict               Condition = "conflict"
	ConnectionTimeout      Condition = "connection-timeout"
	HostUnknown            Condition = "host-unknown"
	InternalServerError    Condition = "internal-server-error"
	InvalidNamespace       Condition = "invalid-namespace"
	InvalidXML             Condition = "invalid-xml"
	NotAuthorized          Condition = "not-authorized"
	NotWellFormed          Condition = "not-well-formed"
	PolicyViolation        Condition = "policy-violation"
	ResourceConstraint     Condition = "resource-constraint"
	RestrictedXML          Condition = "restricted-xml"
	SystemShutdown         Condition = "system-shutdown"
	UndefinedCondition     Condition = "undefined-condition"
	UnsupportedEncoding    Condition = "unsupported-encoding"
	UnsupportedFeature     Condition = "unsupported-feature"
	UnsupportedStanzaType  Condition = "unsupported-stanza-type"
	UnsupportedVersion     Condition = "unsupported-version"
	NSStreamErrorCondition           = "urn:ietf:params:xml:ns:xmpp-streams"
)

// Error is a stream-level error: it ends the stream. Text is for the human
// reading the client's log, so it says what was wrong in plain words.
type Error struct {
	Condition Condition
	Text      string
}

// Errorf builds a stream error with formatted text.
func Errorf(c Condition, format string, args ...any) *Error {
	return &Error{Condition: c, Text: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Text == "" {
		return "stream error " + string(e.Condition)
	}
	return "stream error " + string(e.Condition) + ": " + e.Text
}

// Bytes is the <stream:error> element. The stream prefix is always "stream":
// the server's own header declares it so.
func (e *Error) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString("<stream:error><")
	b.WriteString(string(e.Condition))
	b.WriteString(" xmlns='" + NSStreamErrorCondition + "'/>")
	if e.Text != "" {
		b.WriteString("<text xmlns='" + NSStreamErrorCondition + "' xml:lang='en'>")
		escapeText(&b, e.Text)
		b.WriteString("</text>")
	}
	b.WriteString("</stream:error>")
	return b.Bytes()
}
