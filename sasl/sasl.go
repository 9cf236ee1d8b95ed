// Package sasl implements the server side of SASL mechanisms (PLAIN,
// SCRAM-SHA-1/-256 with and without channel binding, EXTERNAL) behind one
// interface, and the two XML wire profiles that carry them: XEP-0034
// (legacy) and RFC 6120 §6.
package sasl

import "fmt"

// Condition is a SASL failure condition (RFC 6120 §6.5).
type Condition string

// The failure conditions.
const (
	Aborted              Condition = "aborted"
	AccountDisabled      Condition = "account-disabled"
	CredentialsExpired   Condition = "credentials-expired"
	EncryptionRequired   Condition = "encryption-required"
	IncorrectEncoding    Condition = "incorrect-encoding"
	InvalidAuthzid       Condition = "invalid-authzid"
	InvalidMechanism     Condition = "invalid-mechanism"
	MalformedRequest     Condition = "malformed-request"
	MechanismTooWeak     Condition = "mechanism-too-weak"
	NotAuthorized        Condition = "not-authorized"
	TemporaryAuthFailure Condition = "temporary-auth-failure"
)

// Failure is why an authentication attempt failed. Text is for the person
// reading the client's log; it never repeats what the client sent.
type Failure struct {
	Condition Condition
	Text      string
	// Negotiation marks a failure before any credential was checked (a
	// channel-binding mismatch): it does not count toward the limit of
	// failed attempts, so that a client may go on to its next mechanism.
	Negotiation bool
}

func (f *Failure) Error() string { return string(f.Condition) + ": " + f.Text }

// Fail builds a Failure with formatted text.
func Fail(c Condition, format string, args ...any) *Failure {
	return &Failure{Condition: c, Text: fmt.Sprintf(format, args...)}
}

// Identity is who authenticated: the account's prepared local part.
type Identity struct {
	Username string
}

// Mechanism is one SASL mechanism a server offers.
type Mechanism interface {
	Name() string
	// Start begins one attempt. The Session lives until success or failure.
	Start(c *Context) Session
}

// KnownMechanisms are the names of the mechanisms this package implements,
// in jabberd's default order of preference.
var KnownMechanisms = []string{
	"EXTERNAL",
	"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1",
	"PLAIN",
}

// Session is one authentication attempt.
type Session interface {
	// Next consumes the client's data: the initial response (nil when the
	// client sent none) and then each response. It returns a challenge to
	// send, or done with the outcome (a *Failure on failure).
	Next(data []byte) (challenge []byte, done bool, err error)
	// Identity is valid after Next reported done without error.
	Identity() Identity
	// Additional data to send with success (SCRAM's server signature).
	SuccessData() []byte
}

// Context is what a mechanism may know about the connection.
type Context struct {
	Domain string
	Secure bool
	// ExternalIdentities are the account names a verified client
	// certificate maps to (XEP-0178); empty without one.
	ExternalIdentities []string
	// Channel binding data, for SCRAM-*-PLUS.
	TLSExporter       []byte
	TLSServerEndPoint []byte
	// PlusAdvertised: -PLUS mechanisms were offered, so a client that says
	// it could bind but thinks the server cannot ("y") was downgraded.
	PlusAdvertised bool
	// DowngradeProtection, when set, makes SCRAM carry XEP-0474's hash of
	// what the server offered in its server-first message (the lab's
	// plus-stripped-xep0474 profile; nil in the standard behaviour).
	DowngradeProtection *SSDP
	// Nonce makes the server's part of a SCRAM nonce; nil: random (tests
	// fix it).
	Nonce func() string
}
