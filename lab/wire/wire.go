// Package wire is what the lab and the protocol packages share, and
// nothing else, so that the pure machines need not import the lab: the
// Effect a lab profile turns (the machines read it, when advertising and
// when acting), and the Input a driver makes of one piece of client input
// (the lab's verdicts read it).
package wire

// Effect is what a lab profile bends. Its zero value is the standard
// behaviour. It may change while a connection runs (a profile chosen by
// the client's username) and only ever affects that connection.
type Effect struct {
	// StripStartTLS hides STARTTLS as a man in the middle would (XMPP: no
	// <starttls/> feature, no xmlns:tls echo; IRC: no tls capability, 421);
	// a request for it is refused as on a listener without TLS.
	StripStartTLS bool
	// FailStartTLS offers STARTTLS and refuses every request (RFC 6120:
	// <failure/>; XEP-0035: a stream error; IRC: 691).
	FailStartTLS bool
	// PlaintextBait offers PLAIN (and XEP-0078 passwords) before TLS
	// whatever the listener's policy; credentials that come are never
	// checked (SASL: encryption-required, XEP-0078: not-authorized).
	PlaintextBait bool
	// Inject writes plaintext right after the go-ahead for TLS (<proceed/>,
	// </stream:stream>, 670), in the same write: XMPP stream features
	// advertising InjectedMechanism, IRC a PING :InjectedMechanism.
	Inject bool
	// ExternalThenFail offers EXTERNAL once TLS is up, certificate or not,
	// and answers it with not-authorized.
	ExternalThenFail bool
	// CertFault names the server certificate presented instead of the good
	// one ("expired", "wrong-name", "self-signed", "untrusted-ca",
	// "weak-key", "not-yet-valid", "cn-only", "client-auth-eku",
	// "leaf-is-ca", "sha1", "revoked-ocsp").
	CertFault string
	// WeakTLS offers only what RFC 8996 and RFC 9325 deprecate: an old
	// version (TLS 1.0, 1.1) or, with TLS 1.2, only CBC-mode or only
	// RSA-key-transport suites; the profile's name says which.
	WeakTLS bool
	// SlowHandshake holds the ServerHello for [lab] slow_handshake_delay.
	SlowHandshake bool

	// ---- STARTTLS response injection and negotiation flaws (XMPP only;
	// profiles_injection.go, profiles_stripping.go) ----

	// Forge writes a forged answer in plaintext right after the go-ahead
	// for TLS, in the same write, as a man in the middle would inject it.
	Forge Forgery
	// StartTLSLate sends a first <stream:features/> without <starttls/>,
	// and <starttls/> only in a second features element that follows it.
	StartTLSLate bool
	// StartTLSAgain offers STARTTLS again once TLS is up (legacy:
	// xmlns:tls echoed again); a request for it ends the stream.
	StartTLSAgain bool
	// HideRequired leaves <required/> out of <starttls/> even where the
	// listener requires TLS (which it still enforces).
	HideRequired bool
	// IgnoreStartTLS never answers a STARTTLS request (legacy: the header
	// echoed xmlns:tls, then nothing): the stream stays in plaintext.
	IgnoreStartTLS bool

	// ---- IRC (profiles_irc.go; the irc package reads them) ----

	// STSStripped leaves the IRCv3 sts policy and the tls capability out
	// of CAP LS, as a man in the middle strips them; STARTTLS still works
	// for a client that asks anyway.
	STSStripped bool
	// STSBadPort advertises sts=port= a TLS port of the listener's own
	// whose certificate is CertFault's.
	STSBadPort bool
	// InjectNumerics writes forged numerics in plaintext right after 670,
	// in the same write: 903 (SASL succeeded) and 001 (welcome), as if
	// registration were over. IRC only (lab/profiles_irc.go).
	InjectNumerics bool

	// ---- SASL downgrades after TLS (XMPP only; lab/profiles_sasl.go) ----

	// StripPlus removes the SCRAM -PLUS mechanisms and the XEP-0440
	// channel-binding types from the advertised features, as a man in the
	// middle with the server's certificate would. Behind it the server
	// still binds: it accepts -PLUS when asked and refuses a "y" (RFC 5802
	// §6) as a downgrade.
	StripPlus bool
	// DowngradeProtection adds XEP-0474's hash of the real mechanism and
	// channel-binding lists (attribute h) to SCRAM's server-first message.
	DowngradeProtection bool
	// BadServerSignature sends SCRAM's <success/> with a server-final
	// message whose ServerSignature does not verify.
	BadServerSignature bool
	// NoServerFinal sends SCRAM's <success/> without the server-final
	// message.
	NoServerFinal bool
	// ExternalWrongIdentity lets EXTERNAL succeed for the certificate's
	// identity, then binds the resource of WrongIdentity instead.
	ExternalWrongIdentity bool
}

// Forgery is what Effect.Forge injects after the go-ahead for TLS.
type Forgery uint8

// The forgeries.
const (
	ForgeNone Forgery = iota
	// ForgeSuccess: a SASL <success/> (RFC 6120 streams), as if a login
	// had already succeeded.
	ForgeSuccess
	// ForgeProceed: a second <proceed/> (RFC 6120 streams).
	ForgeProceed
	// ForgeStream: a whole new stream in plaintext, a server header and
	// features offering InjectedMechanism (legacy: a header echoing
	// xmlns:sasl and <sasl:mechanisms> with it).
	ForgeStream
	// ForgeClose: </stream:stream> (RFC 6120 streams), as if the server
	// had ended the stream instead of starting TLS.
	ForgeClose
)

// WrongIdentity is the local part Effect.ExternalWrongIdentity binds: not
// a lab account, so that what a fooled client sends as it reaches no user.
const WrongIdentity = "someone-else"

// BendsHandshake reports whether the effect changes the TLS handshake.
func (e Effect) BendsHandshake() bool { return e.CertFault != "" || e.WeakTLS || e.SlowHandshake }

// InjectedMechanism is the SASL mechanism (and IRC PING token) that only
// the injected plaintext carries: a client that uses or answers it read the
// injection as if it had come over TLS.
const InjectedMechanism = "X-JABBERD-INJECTED"

// Input is what one unit of client input meant, as the protocol driver
// classifies it.
type Input struct {
	// Kind is "header", "element", "close", "line" or "refused" (input
	// refused with a stream error).
	Kind string
	// Name is what the input was called on the wire: the element's tag
	// (iq, auth, starttls) or the IRC command, for the verdict's words.
	Name string
	// Credentials: the input carried a password or a SASL initial response
	// that holds one (PLAIN, XEP-0078, XEP-0077, IRC PASS or AUTHENTICATE).
	Credentials bool
	// Mechanism is the SASL mechanism an auth request names.
	Mechanism string
	// SASLAbort: the client aborted a SASL exchange.
	SASLAbort bool
	// StartTLS: the input asks for TLS.
	StartTLS bool
	// Capabilities: an IRC CAP command, or a NICK or USER that leaves
	// registration pending (harmless before STARTTLS).
	Capabilities bool
	// Injected: the input uses or answers something only the injected
	// plaintext contained.
	Injected bool
	// Unregistered: an IRC line the server got before registration was
	// complete (the line that completes it excluded).
	Unregistered bool

	// ---- IRC (profiles_irc.go) ----

	// TLSHello: a TLS ClientHello came where plaintext lines belong (on
	// the plaintext IRC port, before any line): the client insisted on
	// TLS. It is also StartTLS.
	TLSHello bool
}
