package server

// The machine's side of a connection: events in, the actions it returns
// performed here, in order.

import (
	"strings"

	"jabberd/negotiation"
	"jabberd/stream"
	"jabberd/transport"
)

// run feeds ev to the machine and performs its actions. It returns false
// when the connection must end now.
func (c *conn) run(ev negotiation.Event) bool {
	for ev != nil {
		switch e := ev.(type) {
		case negotiation.HeaderEvent:
			c.choice.Username(e.Header.Attr("from")) // RFC 6120 §4.7.1: clients send their JID there
			defer c.logDialect()
		case negotiation.CloseEvent, negotiation.StopEvent, negotiation.FaultEvent:
			// A clean close, the server's stop, bad XML: the session is
			// not kept for resumption.
			c.final.Store(true)
		case negotiation.ElementEvent:
			if !c.bound() && c.choice.ReadsUsernames() {
				// A SASL or XEP-0078 login's username may carry a tag.
				c.choice.Username(negotiation.ClaimedUsername(e.Element, e.Space))
			}
		}
		actions := c.m.Handle(ev)
		ev = nil
		for i, a := range actions {
			next, ok := c.act(a, i+1 < len(actions) && actions[i+1].Kind == negotiation.Close)
			if !ok {
				return false
			}
			if next != nil {
				ev = next
			}
		}
	}
	return true
}

// act performs one action; beforeClose marks the send that carries
// </stream:stream>. It returns the event the action produced (the TLS
// outcome), and false when the connection must end now.
func (c *conn) act(a negotiation.Action, beforeClose bool) (negotiation.Event, bool) {
	lg := c.core.Log()
	switch a.Kind {
	case negotiation.Send:
		var segs []transport.Segment
		if a.Redact {
			segs = []transport.Segment{{End: len(a.Data), Redact: true}}
		}
		if !beforeClose {
			return nil, c.core.Write(a.Data, segs) == nil
		}
		// After </stream:stream> nothing routed may be written, or the
		// client would never read it: the session leaves the router
		// before the client can read the close, after what was queued for
		// it is stored, so that the order holds.
		c.core.CloseQueue()
		c.unbind()
		return nil, c.core.WriteLast(a.Data, segs) == nil
	case negotiation.StartTLS:
		return c.startTLS(), true
	case negotiation.Restart:
		c.newReader()
	case negotiation.LoggedIn:
		c.provision(a)
		lg.Info().Str("mechanism", a.Mechanism).Str("jid", a.JID).Msg("authenticated")
		c.core.Note(transport.Note{Kind: transport.NoteAuth, Mechanism: a.Mechanism, Identity: a.JID, OK: true})
	case negotiation.Registered:
		lg.Info().Str("jid", a.JID).Msg("account registered in band")
	case negotiation.LoginFailed:
		lg.Info().Str("mechanism", a.Mechanism).Str("reason", a.Reason).Msg("authentication failed")
		c.core.Note(transport.Note{Kind: transport.NoteAuth, Mechanism: a.Mechanism, Text: a.Reason})
	case negotiation.TLSRefused:
		c.core.Note(transport.Note{Kind: transport.NoteTLSRefused, Text: a.Reason, Offered: true})
	case negotiation.Bind:
		jid := a.JID // &a.JID would move every action to the heap
		c.jid.Store(&jid)
		c.core.With("jid", a.JID)
		c.core.Log().Info().Msg("session bound")
		c.srv.router.Bind(c)
	case negotiation.Route:
		c.srv.router.Route(c, a.Element)
	case negotiation.Reply:
		_ = c.Deliver(a.Element)
	case negotiation.CSI:
		c.setCSI(a.Inactive)
	case negotiation.EnableSM:
		c.enableSM(a)
	case negotiation.ResumeSM:
		return c.resume(a), true
	case negotiation.AckedSM:
		if s := c.sm.Load(); s != nil && !s.ack(a.H) {
			return negotiation.FaultEvent{Err: stream.Errorf(stream.UndefinedCondition, "<a/> acknowledges more stanzas than were sent (handled-count-too-high)")}, true
		}
	case negotiation.Close:
		lg.Info().Str("reason", a.Reason).Msg("closing")
		c.core.EndReason(a.Reason)
		c.core.CloseQueue()
		c.unbind()
		c.core.Close()
		return nil, false
	}
	return nil, true
}

// provision creates the account of a certificate identity that logged in
// with EXTERNAL and has none (auth.external_auto_provision).
func (c *conn) provision(a negotiation.Action) {
	if p := c.srv.opt.Provision; p != nil && a.Mechanism == "EXTERNAL" {
		local, _, _ := strings.Cut(a.JID, "@")
		if err := p(local); err != nil {
			c.core.Log().Error().Err(err).Str("jid", a.JID).Msg("creating the account of a certificate identity failed")
		}
	}
}
