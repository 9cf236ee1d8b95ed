// Package lab is what makes jabberd a test target: named behaviour
// profiles that play the attacker or the broken server on purpose, the
// per-connection transcripts that show what a client did about it (with
// verdict flags a harness asserts on), and the status page that serves
// them. The protocol packages (negotiation, irc) only expose the knobs;
// which knob a profile turns, and what the client's reaction means, is
// decided here.
package lab

import (
	"fmt"
	"slices"
	"strings"

	"jabberd/lab/wire"
)

// Profile is one named deviation from correct behaviour.
type Profile struct {
	Name string
	// Summary is the one line `jabberd profiles` prints.
	Summary string
	// Correct says what a correct client does about it.
	Correct string
	// Source is where the attack or fault is described.
	Source string
	// IRC reports whether the IRC listener supports the profile.
	IRC bool
	// PassIf and FailIf state, for a tester, what makes a connection pass
	// and what makes it fail under the profile.
	PassIf, FailIf string
	// Pass and Fail are the verdict flags a correct and a fooled client
	// earn under the profile (the shared ones — plaintext credentials,
	// injected data used, a fallback to plaintext — fail under any).
	Pass, Fail []string
	// Rules judge a connection under the profile (verdict.go): the
	// profile carries its own, so that adding one touches one place.
	Rules Rules

	Effect Effect
}

// Effect is what a profile turns: the machines and the TLS set-up read it.
type Effect = wire.Effect

// InjectedMechanism is the SASL mechanism (IRC: PING token) that only the
// injected plaintext carries.
const InjectedMechanism = wire.InjectedMechanism

// The verdict flags every profile shares; all three are failures.
const (
	FlagPlaintextCredentials = "plaintext-credentials"
	FlagAcceptedInjectedData = "accepted-injected-data"
	FlagFallbackToPlaintext  = "fallback-to-plaintext"
)

// sharedFails are the failures judged under every profile.
var sharedFails = []string{FlagPlaintextCredentials, FlagAcceptedInjectedData, FlagFallbackToPlaintext}

// flags is a list of flag names.
func flags(names ...string) []string { return names }

// certProfile builds a certificate-fault profile.
func certProfile(fault, what string) *Profile {
	return &Profile{
		Name:    "cert-" + fault,
		Summary: "the TLS handshake presents a server certificate that " + what,
		Correct: "refuses the certificate: the handshake fails (alert bad_certificate or similar), or the client hangs up right after it, and no XML or IRC line follows",
		PassIf:  "the client refuses the handshake (an alert, a close), or completes it and closes without sending any data over TLS",
		FailIf:  "the client sends application data over the TLS connection (it accepted the certificate), or goes on in plaintext",
		Source:  "RFC 6125 and RFC 5280 (certificate validation); RFC 6120 §13.7.2",
		IRC:     true,
		Pass:    flags("rejected-bad-certificate"),
		Fail:    flags("accepted-bad-certificate"),
		Rules:   handshakeRules("rejected-bad-certificate", "accepted-bad-certificate", "a certificate that "+what),
		Effect:  Effect{CertFault: fault},
	}
}

var profiles = []*Profile{
	{
		Name:    "strip-starttls",
		Summary: "STARTTLS is not offered although the listener has TLS (legacy: xmlns:tls not echoed; RFC 6120: no <starttls/>; IRC: no tls capability, STARTTLS → 421), as a man in the middle would strip it; PLAIN is offered in plaintext as bait",
		Correct: "a client that requires TLS closes the connection without sending anything else, credentials least of all",
		Source:  "STARTTLS stripping: RFC 7590 §3.1; Poddebniak et al., \"Why TLS is better without STARTTLS\", USENIX Security 2021",
		IRC:     true,
		PassIf:  "the client closes without sending anything in plaintext after the features (IRC: beyond CAP, NICK, USER)",
		FailIf:  "the client sends anything else in plaintext: a login, a stanza, a command",
		Pass:    flags("aborted-on-strip"),
		Fail:    flags("continued-without-tls"),
		Rules:   stripRules("aborted-on-strip", "continued-without-tls"),
		Effect:  Effect{StripStartTLS: true, PlaintextBait: true},
	},
	{
		Name:    "fail-starttls",
		Summary: "STARTTLS is offered, then refused (RFC 6120: <failure/>; legacy: a stream error after the request; IRC: 691)",
		Correct: "does not go on in plaintext, neither on this connection nor on a new one",
		Source:  "RFC 6120 §5.4.2.2; IRCv3 tls extension (691)",
		PassIf:  "after the refusal the client stops: it closes, and sends nothing more in plaintext on this connection or on a new one to the same per-profile port",
		FailIf:  "the client goes on in plaintext on the same connection, or (correlated) connects again to the same per-profile port or label in plaintext within [lab] fallback_window",
		IRC:     true,
		Pass:    flags("stopped-after-refusal"),
		Fail:    flags(FlagFallbackToPlaintext),
		Rules:   refusalRules("stopped-after-refusal"),
		Effect:  Effect{FailStartTLS: true},
	},
	{
		Name:    "sasl-before-tls",
		Summary: "SASL PLAIN (and, on legacy streams, XEP-0078 passwords) advertised before TLS, beside STARTTLS",
		Correct: "sends STARTTLS first and never a credential in the clear; credentials sent in plaintext are answered with encryption-required and never checked or stored",
		Source:  "RFC 6120 §5.3.1 and §6.4.1 (TLS before SASL)",
		PassIf:  "the client asks for STARTTLS before sending any credential",
		FailIf:  "the client sends a password (SASL PLAIN, XEP-0078, in-band registration) before TLS",
		Pass:    flags("ignored-plaintext-sasl"),
		Fail:    flags(FlagPlaintextCredentials),
		Rules:   baitRules("ignored-plaintext-sasl"),
		Effect:  Effect{PlaintextBait: true},
	},
	{
		Name:    "inject-after-proceed",
		Summary: "<proceed/> (legacy: </stream:stream>; IRC: 670) is followed in the same TCP segment by plaintext: stream features advertising the mechanism " + InjectedMechanism + " (IRC: PING :" + InjectedMechanism + ", whose PONG gives the client away)",
		Correct: "discards everything received before the handshake: starts TLS, opens a fresh stream and never uses " + InjectedMechanism,
		Source:  "STARTTLS response injection: Poddebniak et al., USENIX Security 2021 (the mirror of CVE-2011-0411, Postfix command injection)",
		IRC:     true,
		PassIf:  "the client starts TLS and never uses " + InjectedMechanism + ", or closes instead of starting TLS over the injected data",
		FailIf:  "the client uses " + InjectedMechanism + " (before or after TLS), or answers the injected plaintext where its ClientHello belongs",
		Pass:    flags("discarded-injected-data", "refused-injected-data"),
		Fail:    flags(FlagAcceptedInjectedData, "acted-on-injected-data"),
		Rules:   injectRules("discarded-injected-data", "acted-on-injected-data", "refused-injected-data"),
		Effect:  Effect{Inject: true},
	},
	certProfile("expired", "expired yesterday (signed by the lab CA, right names)"),
	certProfile("wrong-name", "names only wrong.invalid (signed by the lab CA, valid dates)"),
	certProfile("self-signed", "is self-signed (right names, valid dates)"),
	certProfile("untrusted-ca", "is signed by a second CA that the client has no reason to trust (right names, valid dates)"),
	certProfile("weak-key", "has a 1024-bit RSA key (signed by the lab CA, right names)"),
	{
		Name:    "tls10-only",
		Summary: "the TLS handshake offers nothing newer than TLS 1.0",
		Correct: "refuses the handshake (protocol_version alert): TLS 1.0 and 1.1 are deprecated",
		Source:  "RFC 8996 (deprecating TLS 1.0 and 1.1); RFC 7590 §3.3",
		IRC:     true,
		PassIf:  "the client refuses the handshake (protocol_version, no shared version or cipher, a close), or closes right after it without sending data",
		FailIf:  "the client sends application data over TLS 1.0",
		Pass:    flags("rejected-weak-tls"),
		Fail:    flags("accepted-weak-tls"),
		Rules:   handshakeRules("rejected-weak-tls", "accepted-weak-tls", "TLS 1.0"),
		Effect:  Effect{WeakTLS: true},
	},
	{
		Name:    "external-then-fail",
		Summary: "SASL EXTERNAL is offered after TLS (with or without a client certificate), then answered with not-authorized",
		Correct: "treats the failure as a failure: tries another mechanism or closes, and never restarts the stream, binds or sends stanzas as if logged in",
		Source:  "RFC 6120 §6.4.5 (SASL failure); XEP-0178",
		PassIf:  "after the failure the client tries another mechanism, aborts, or closes",
		FailIf:  "after the failure the client restarts the stream, binds or sends a stanza as if logged in",
		Pass:    flags("stopped-after-auth-failure"),
		Fail:    flags("ignored-auth-failure"),
		Rules:   authFailureRules("stopped-after-auth-failure", "ignored-auth-failure"),
		Effect:  Effect{ExternalThenFail: true},
	},
	{
		Name:    "slow-handshake",
		Summary: "the ServerHello is sent only after [lab] slow_handshake_delay (default 5s), to test the client's handshake timeout",
		Correct: "gives up after its own handshake timeout (gave-up-on-slow-handshake) or, if its timeout is longer than the delay, completes (waited-for-slow-handshake): both are correct; the flag tells the tester which timeout the client has",
		PassIf:  "the client gives up on the handshake, or waits and completes it",
		FailIf:  "nothing of its own: only the shared failures (credentials in plaintext, a fallback to plaintext)",
		Source:  "timeout testing; RFC 6120 §13.7 leaves the timeout to the client",
		IRC:     true,
		Pass:    flags("gave-up-on-slow-handshake", "waited-for-slow-handshake"),
		Rules:   slowRules("gave-up-on-slow-handshake", "waited-for-slow-handshake"),
		Effect:  Effect{SlowHandshake: true},
	},
}

// ActsAfterTLS reports whether the profile only acts once TLS is up (a
// login's answer), so that a choice made then can still take it.
func (p *Profile) ActsAfterTLS() bool { return p.Effect.ExternalThenFail }

// Profiles returns every profile, in the order `jabberd profiles` lists
// them.
func Profiles() []*Profile { return slices.Clone(profiles) }

// Lookup finds a profile by name; "" and "standard" are the standard
// behaviour (nil, true).
func Lookup(name string) (*Profile, bool) {
	if name == "" || name == "standard" {
		return nil, true
	}
	for _, p := range profiles {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

// CheckName returns an error naming the known profiles when name is not one.
func CheckName(name string) error {
	if _, ok := Lookup(name); ok {
		return nil
	}
	return fmt.Errorf("unknown lab profile %q (known: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the profile names.
func Names() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Name
	}
	return out
}

// The selectors, in increasing precedence: the listener's configured
// profile, then a tag in the username the client tries, then the TLS SNI.
const (
	ByListener = "listener"
	ByUsername = "username"
	BySNI      = "sni"
)

// TagSeparator joins a username and a profile tag: alice+strip-starttls.
const TagSeparator = "+"

// FromUsername returns the profile a username (a local part or a JID)
// asks for with a +tag, and the username without the tag. A tag that names
// no profile is not a tag: "bob+work" stays as it is.
func FromUsername(user string) (*Profile, string, bool) {
	local, rest, hasDomain := strings.Cut(user, "@")
	i := strings.LastIndex(local, TagSeparator)
	if i < 0 {
		return nil, user, false
	}
	p, ok := Lookup(local[i+1:])
	if !ok || p == nil {
		return nil, user, false
	}
	stripped := local[:i]
	if hasDomain {
		stripped += "@" + rest
	}
	return p, stripped, true
}

// FromSNI returns the profile a TLS server name asks for: its first label
// names it, as in cert-expired.localhost.
func FromSNI(sni string) (*Profile, bool) {
	label, _, ok := strings.Cut(sni, ".")
	if !ok {
		return nil, false
	}
	p, found := Lookup(label)
	return p, found && p != nil
}
