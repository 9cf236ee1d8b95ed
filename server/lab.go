package server

import (
	"crypto/tls"
	"strconv"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/negotiation"
	"jabberd/stanza"
	"jabberd/stream"
	"jabberd/tlsext"
	"jabberd/tlspolicy"
)

// The lab side of a connection: its transcript, and the profile in force,
// which the listener sets and the client may override for itself (by the
// username in its stream header, by SNI).

// listenerLab is what a listener's connections start with in the lab:
// the transcript's listener name and the configured profile, resolved once
// per listener rather than per connection.
type listenerLab struct {
	name    string
	profile *lab.Profile // nil: the standard behaviour
}

func newListenerLab(lc config.Listener) listenerLab {
	ll := listenerLab{name: "xmpp"}
	if lc.TLS == tlspolicy.Direct {
		ll.name = "xmpp-direct"
	}
	ll.profile, _ = lab.Lookup(lc.Profile) // validated with the configuration
	return ll
}

// labStart opens the connection's transcript and applies the listener's
// profile.
func (c *conn) labStart(ll listenerLab) {
	c.tr = c.srv.opt.Lab.Start("c"+strconv.FormatUint(c.id, 10), ll.name, c.tcp.RemoteAddr().String(), c.ip)
	if ll.profile != nil {
		c.useProfile(ll.profile, lab.ByListener)
	}
}

// useProfile puts p in force from now on.
func (c *conn) useProfile(p *lab.Profile, by string) {
	c.profile, c.chosenBy = p, by
	c.m.SetBehaviour(behaviourOf(p))
	if c.tr != nil {
		c.tr.Choose(p, by)
	}
	c.log.Info().Str("profile", p.Name).Str("selected_by", by).Msg("lab profile in force")
}

// behaviourOf turns a profile into the machine's knobs.
func behaviourOf(p *lab.Profile) negotiation.Behaviour {
	e := p.Effect
	b := negotiation.Behaviour{
		StripStartTLS:    e.StripStartTLS,
		FailStartTLS:     e.FailStartTLS,
		PlaintextBait:    e.PlaintextBait,
		ExternalThenFail: e.ExternalThenFail,
	}
	if e.Inject {
		b.Inject = lab.XMPPInjection
	}
	return b
}

// clientChoice reports whether the client may pick its own profile now:
// the configuration allows it, and SNI (which wins) has not picked one.
func (c *conn) clientChoice() bool {
	return c.srv.cfg.Lab.ClientChoice && c.chosenBy != lab.BySNI
}

// labHeader looks at a stream header before the machine answers it: a
// +profile tag in its from attribute chooses the profile (RFC 6120 §4.7.1
// has clients send their JID there).
func (c *conn) labHeader(h *stream.Header) {
	if !c.clientChoice() {
		return
	}
	if p, _, ok := lab.FromUsername(h.Attr("from")); ok && p != c.profile {
		c.useProfile(p, lab.ByUsername)
	}
}

// labIn records an event from the client.
func (c *conn) labIn(ev stream.Event) {
	if c.tr == nil {
		return
	}
	n := int(ev.End - c.inLast)
	c.inLast = ev.End
	what := lab.Input{Kind: "header"}
	switch ev.Kind {
	case stream.KindElement:
		what = lab.XMPPElement(ev.Element, ev.Space)
	case stream.KindClose:
		what = lab.Input{Kind: "close"}
	}
	if !c.tr.Keeps(n) {
		// A full transcript only counts, and keeps nothing more.
		c.tap.stop()
		c.tr.Skip(n, what)
		return
	}
	raw := c.tap.take(n)
	if ev.Kind == stream.KindElement {
		if red := stanza.Redacted(ev.Element); red != ev.Element {
			// A secret: the element is written back with it redacted,
			// never kept as it came.
			c.tr.InBytes(stream.Marshal(red), n, true, what)
			return
		}
	}
	c.tr.InBytes(raw, n, false, what)
}

// labRefused records input the tokenizer refused with a stream error.
func (c *conn) labRefused(err *stream.Error) {
	if c.tr != nil {
		c.tr.InputRefused(err.Error())
	}
}

// labAction records what the machine decided.
func (c *conn) labAction(a negotiation.Action) {
	if c.tr == nil {
		return
	}
	switch a.Kind {
	case negotiation.StartTLS:
		c.tr.TLSRequested()
	case negotiation.TLSRefused:
		c.tr.TLSRefused(a.Reason)
	case negotiation.LoggedIn:
		c.tr.Auth(a.Mechanism, a.JID, true, "")
	case negotiation.LoginFailed:
		c.tr.Auth(a.Mechanism, "", false, a.Reason)
	case negotiation.Close:
		c.endReason = a.Reason
	}
}

// chooseTLS picks the handshake's configuration: SNI may choose a profile
// (the first label names it), else the profile in force decides.
func (c *conn) chooseTLS(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if c.srv.cfg.Lab.ClientChoice {
		if p, ok := lab.FromSNI(hello.ServerName); ok && p != c.profile {
			c.useProfile(p, lab.BySNI)
		}
	}
	return c.srv.opt.LabTLS.Config(c.profile, hello)
}

// upgrader returns the choice function for tlsext, nil when no profile can
// bend a handshake (the common case costs nothing).
func (c *conn) upgrader() tlsext.Choose {
	if c.srv.opt.LabTLS == nil {
		return nil
	}
	return c.chooseTLS
}

// labTLS records the handshake's outcome.
func (c *conn) labTLS(res *tlsext.Result, info *negotiation.TLSInfo, err error) {
	if c.tr == nil {
		return
	}
	if err != nil {
		c.tr.TLSFailed(err.Error())
		return
	}
	cert := "none"
	if len(res.PeerCertificates) > 0 {
		cert = res.PeerCertificates[0].Subject.String()
		if info.ClientVerified {
			cert += " (verified)"
		} else {
			cert += " (not verified)"
		}
	}
	c.tr.TLSEstablished(res.VersionName(), res.CipherName(), res.ServerName, cert)
}

// labEnd closes the transcript.
func (c *conn) labEnd() {
	if c.tr != nil {
		c.tr.End(c.endReason)
	}
}
