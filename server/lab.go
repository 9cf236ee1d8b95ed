package server

import (
	"bytes"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/negotiation"
	"jabberd/stanza"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// The lab side of an XMPP connection: the transcript watches the core
// (lab.Watch), the choice of profile is lab.Choice; this file only says
// what the client's input was.

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

// labStart opens the connection's transcript, makes it the core's
// observer, and applies the listener's profile.
func (c *conn) labStart(ll listenerLab) {
	tr := c.srv.opt.Lab.Open(lab.Origin{ID: c.core.ID(), Listener: ll.name, Local: c.core.Local(),
		Remote: c.core.Remote(), IP: c.core.IP(), Dedicated: ll.profile != nil})
	if tr != nil {
		c.core.Observe(lab.Watch(tr, splitXMPP))
	}
	c.choice = lab.NewChoice(lab.ChoiceOptions{
		ClientChoice: c.srv.cfg.Lab.ClientChoice, TLS: c.srv.opt.LabTLS, Profile: ll.profile,
	}, tr, c.m.SetEffect, c.core)
}

// observeIn tells the observer what a stream event was. An element that
// carries a secret is written back with it redacted, never kept as it came.
func (c *conn) observeIn(ev stream.Event) {
	if !c.core.Observing() {
		return
	}
	n := int(ev.End - c.inLast)
	c.inLast = ev.End
	what := lab.Input{Kind: "header"}
	var redacted []byte
	switch ev.Kind {
	case stream.KindElement:
		what = negotiation.Classify(ev.Element, ev.Space)
		if red := stanza.Redacted(ev.Element); red != ev.Element {
			redacted = stream.Marshal(red)
		}
	case stream.KindClose:
		what = lab.Input{Kind: "close"}
	}
	c.core.Received(n, what, redacted)
}

// splitXMPP reads what a client sent where its ClientHello belonged (after
// <proceed/>, or after the legacy </stream:stream>): each top-level tag is
// a piece, classified as far as a tag alone tells — an auth naming the
// injected mechanism, a PLAIN auth with its payload, the stream's close.
// Secrets are not kept: a piece with credentials is written redacted.
func splitXMPP(data []byte) []lab.Piece {
	var out []lab.Piece
	for len(data) > 0 {
		start := bytes.IndexByte(data, '<')
		if start < 0 {
			break
		}
		end := bytes.IndexByte(data[start:], '>')
		if end < 0 {
			end = len(data) - start - 1
		}
		tag := data[start : start+end+1]
		data = data[start+end+1:]
		piece := lab.Piece{N: start + end + 1}
		what := lab.Input{Kind: "element"}
		switch {
		case bytes.HasPrefix(tag, []byte("</stream:stream")):
			what.Kind = "close"
		case bytes.Contains(tag, []byte(lab.InjectedMechanism)):
			what.Mechanism, what.Injected = lab.InjectedMechanism, true
		case bytes.Contains(tag, []byte("auth")) && bytes.Contains(tag, []byte("PLAIN")):
			what.Mechanism = "PLAIN"
			next := bytes.IndexByte(data, '<')
			if next < 0 {
				next = len(data)
			}
			if len(bytes.TrimSpace(data[:next])) > 0 && !bytes.HasSuffix(tag, []byte("/>")) {
				// The payload is consumed with its tag and never kept.
				what.Credentials = true
				tag = append(bytes.Clone(tag), "[redacted]"...)
				piece.N += next
				piece.Redacted = true
				data = data[next:]
			}
		}
		piece.Data, piece.What = tag, what
		out = append(out, piece)
	}
	return out
}
