package lab

import (
	"crypto/tls"

	"github.com/rs/zerolog"
)

// Choice is the profile in force on one connection and what chose it. The
// listener sets one; the client may choose its own ([lab] client_choice) by
// a +profile tag in its username, then by the TLS SNI, which wins. Both
// protocols' drivers use it; the machine learns the profile's Effect
// through apply.
type Choice struct {
	opt     ChoiceOptions
	tr      *Transcript // nil when transcripts are off
	apply   func(Effect)
	conn    ChoiceConn
	profile *Profile
	by      string
}

// ChoiceConn is what a choice needs of its connection (transport.Conn).
type ChoiceConn interface {
	Log() *zerolog.Logger
	// Secure reports whether TLS is up: a choice made after that can only
	// take a profile that acts after TLS.
	Secure() bool
}

// ChoiceOptions are a listener's.
type ChoiceOptions struct {
	// IRC: only the profiles that apply to IRC are taken.
	IRC bool
	// ClientChoice lets the client choose ([lab] client_choice).
	ClientChoice bool
	// TLS holds the handshakes of the profiles that bend TLS (nil when no
	// profile can).
	TLS *TLS
	// Profile is the listener's own (nil: standard).
	Profile *Profile
}

// NewChoice starts a connection's choice with the listener's profile.
func NewChoice(opt ChoiceOptions, tr *Transcript, apply func(Effect), conn ChoiceConn) *Choice {
	c := &Choice{opt: opt, tr: tr, apply: apply, conn: conn}
	if opt.Profile != nil {
		c.Use(opt.Profile, ByListener)
	}
	return c
}

// Profile is the profile in force (nil: standard).
func (c *Choice) Profile() *Profile { return c.profile }

// Use puts p in force from now on.
func (c *Choice) Use(p *Profile, by string) {
	if c.opt.IRC && !p.IRC {
		if c.tr != nil {
			c.tr.Event("profile " + p.Name + " (selected by " + by + ") does not apply to IRC: ignored")
		}
		return
	}
	if !c.opt.IRC && p.IRCOnly {
		if c.tr != nil {
			c.tr.Event("profile " + p.Name + " (selected by " + by + ") is IRC-only: ignored")
		}
		return
	}
	c.profile, c.by = p, by
	c.apply(p.Effect)
	if c.tr != nil {
		c.tr.Choose(p, by)
	}
	c.conn.Log().Info().Str("profile", p.Name).Str("selected_by", by).Msg("lab profile in force")
}

// ReadsUsernames reports whether a username can choose anything here
// ([lab] client_choice): callers skip digging one out of a login when not.
func (c *Choice) ReadsUsernames() bool { return c.opt.ClientChoice }

// Username looks at a username the client gave (a local part or a JID,
// in a stream header, a SASL or XEP-0078 login, an IRC USER): a +profile
// tag chooses that profile when it still can act — any before TLS, only
// one that acts after TLS once TLS is up. A tag that comes too late, or
// after SNI chose, is recorded, never silently ignored. It returns the
// name without the tag, and whether there was one.
func (c *Choice) Username(name string) (string, bool) {
	if !c.opt.ClientChoice {
		return name, false
	}
	p, rest, ok := FromUsername(name)
	switch {
	case !ok || p == c.profile:
	case p.PortOnly:
		c.refuse(p, "a username tag", "it needs a port of its own; choose it by its per-profile port or a listener's profile")
	case c.by == BySNI:
		c.refuse(p, "a username tag", "the TLS server name already chose "+c.profile.Name+", and SNI wins")
	case c.conn.Secure() && p.Moment() < InLoginAnswer:
		c.refuse(p, "a username tag", "TLS is already up and "+p.Name+" acts before the answer to a login (in the negotiation, the handshake or the features over TLS); choose it by the stream header's from, by SNI or by its per-profile port")
	default:
		c.Use(p, ByUsername)
	}
	return rest, ok
}

// refuse records that a selector (by) asked for p and could not have it.
func (c *Choice) refuse(p *Profile, by, why string) {
	if c.tr != nil {
		c.tr.Event("profile " + p.Name + " asked for by " + by + ", not applied: " + why)
	}
	c.conn.Log().Info().Str("profile", p.Name).Str("why", why).Msg("lab profile asked for too late")
}

// Upgrader returns the function that picks a handshake's configuration,
// nil when no profile can bend one (the common case costs nothing).
func (c *Choice) Upgrader() func(*tls.ClientHelloInfo) (*tls.Config, error) {
	if c.opt.TLS == nil {
		return nil
	}
	return c.chooseTLS
}

// chooseTLS: SNI may choose a profile that acts in the handshake or after
// it (its first label names it, as in cert-expired.localhost); one that
// acted before TLS is recorded as asked for too late. Else the profile in
// force decides. It runs inside the handshake, on the connection's
// goroutine.
func (c *Choice) chooseTLS(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if c.opt.ClientChoice {
		switch p, ok := FromSNI(hello.ServerName); {
		case !ok || p == c.profile:
		case p.PortOnly:
			c.refuse(p, "SNI", "it needs a port of its own; choose it by its per-profile port or a listener's profile")
		case p.Moment() < InHandshake:
			c.refuse(p, "SNI", "it acts before TLS, and SNI only comes with the handshake; choose it by the stream header's from or by its per-profile port")
		default:
			c.Use(p, BySNI)
		}
	}
	return c.opt.TLS.Config(c.profile, hello)
}
