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
	// Category groups the profile in listings (Categories).
	Category string
	// IRC reports whether the IRC listener supports the profile.
	IRC bool
	// IRCOnly: the profile bends only IRC (the XMPP listeners refuse it,
	// and no XMPP per-profile port is opened for it).
	IRCOnly bool
	// PortOnly: only its own port or a listener's profile can choose it,
	// never a connection (it needs a port of its own: sts-bad-port's TLS
	// port with the bad certificate).
	PortOnly bool
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

// The categories profiles are grouped in, in the order they are listed.
const (
	CategoryStripping    = "negotiation and stripping"
	CategoryInjection    = "response injection"
	CategoryCertificates = "certificates"
	CategoryProtocol     = "TLS protocol"
	CategorySASL         = "SASL and authentication"
	CategoryIRC          = "IRC"
)

// Categories lists the categories in order.
func Categories() []string {
	return []string{CategoryStripping, CategoryInjection, CategoryCertificates, CategoryProtocol, CategorySASL, CategoryIRC}
}

// profiles is every profile, category by category: each category's file
// (profiles_*.go) defines its own, and a new profile is one entry there.
var profiles = slices.Concat(strippingProfiles, injectionProfiles, certificateProfiles, protocolProfiles, saslProfiles, ircProfiles)

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

// Moment is when a profile acts; it decides what can still choose it: a
// choice made later than the moment changes nothing, and is recorded so.
type Moment int

// The moments, in the order a connection meets them.
const (
	// BeforeTLS: in the plaintext negotiation (features, the answer to
	// STARTTLS, what follows the go-ahead).
	BeforeTLS Moment = iota
	// InHandshake: the certificate, the versions, the timing.
	InHandshake
	// AfterHandshake: in the features over TLS (a login's username comes
	// after them).
	AfterHandshake
	// InLoginAnswer: in the answer to a login.
	InLoginAnswer
)

// Moment says when the profile acts.
func (p *Profile) Moment() Moment {
	e := p.Effect
	switch {
	case e.BendsHandshake():
		return InHandshake
	case e.ExternalThenFail || e.BadServerSignature || e.NoServerFinal || e.ExternalWrongIdentity:
		return InLoginAnswer
	case e.StartTLSAgain || e.StripPlus:
		return AfterHandshake
	}
	return BeforeTLS
}
