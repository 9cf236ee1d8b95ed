package server

import (
	"bytes"
	"strings"

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
	opt := *c.srv.lab.Load()
	opt.Profile = ll.profile
	c.choice = lab.NewChoice(opt, tr, c.m.SetEffect, c.core)
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

// splitXMPP reads plaintext the core caught outside the stream: what a
// client sent where its ClientHello belonged (after <proceed/>, or after
// the legacy </stream:stream>), or what it went on sending after a refused
// STARTTLS or a failed handshake. Each tag is a piece, classified as far as
// a tag alone tells: a declaration or a stream header, the stream's close,
// an auth naming the injected mechanism, a PLAIN auth with its payload, a
// jabber:iq:auth password or digest. Secrets are not kept: the text after
// such a tag is consumed with it and the piece is written redacted.
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
		what := classifyTag(tag)
		if secretFollows(tag, what) {
			next := bytes.IndexByte(data, '<')
			if next < 0 {
				next = len(data)
			}
			if len(bytes.TrimSpace(data[:next])) > 0 {
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

// classifyTag says what one tag is, by its name and attributes alone. A
// prefix is not the namespace: <sasl:auth>, <tls:starttls/> (the legacy
// flows, and a legacy client answering an injected stream header) are read
// by their local names, as the tokenizer reads them by URI.
func classifyTag(tag []byte) lab.Input {
	name := tagName(tag)
	local := localName(name)
	what := lab.Input{Kind: "element", Name: local}
	switch {
	case name == "?xml" || local == "stream":
		what.Kind, what.Name = "header", name
	case local == "/stream":
		what.Kind, what.Name = "close", name
	case bytes.Contains(tag, []byte(lab.InjectedMechanism)):
		what.Mechanism, what.Injected = lab.InjectedMechanism, true
	case what.Name == "auth" && bytes.Contains(tag, []byte("PLAIN")):
		what.Mechanism = "PLAIN"
	case what.Name == "starttls":
		what.StartTLS = true
	}
	return what
}

// localName is a tag's name without its prefix: "sasl:auth" is "auth",
// "/tls:starttls" is "/starttls".
func localName(name string) string {
	i := strings.IndexByte(name, ':')
	if i < 0 {
		return name
	}
	if strings.HasPrefix(name, "/") {
		return "/" + name[i+1:]
	}
	return name[i+1:]
}

// secretFollows: the text after the tag is a secret (a PLAIN initial
// response, a SASL response, a XEP-0078 password or digest).
func secretFollows(tag []byte, what lab.Input) bool {
	if bytes.HasSuffix(tag, []byte("/>")) {
		return false
	}
	return what.Mechanism == "PLAIN" || what.Name == "response" || what.Name == "password" || what.Name == "digest"
}

// tagName is the name of a tag: "auth", "/auth", "?xml", "stream:stream".
func tagName(tag []byte) string {
	name := bytes.TrimPrefix(tag, []byte("<"))
	if i := bytes.IndexAny(name, " \t\r\n/>"); i > 0 {
		name = name[:i]
	} else if i == 0 && len(name) > 1 && name[0] == '/' {
		j := bytes.IndexAny(name[1:], " \t\r\n>")
		if j < 0 {
			j = len(name) - 1
		}
		name = name[:j+1]
	}
	return string(bytes.TrimSuffix(name, []byte("?")))
}
