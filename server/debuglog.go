package server

import (
	"github.com/beevik/etree"

	"jabberd/stream"
)

// Namespaces whose element text is a secret (SASL payloads) or holds one
// (jabber:iq:auth passwords and digests).
const (
	nsSASL       = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsLegacySASL = "http://www.iana.org/assignments/sasl-mechanisms"
	nsIQAuth     = "jabber:iq:auth"
)

// logIn writes an incoming event at debug level, secrets redacted.
func (c *conn) logIn(ev stream.Event) {
	if !c.log.Debug().Enabled() {
		return
	}
	e := c.log.Debug().Str("phase", c.phase)
	switch ev.Kind {
	case stream.KindHeader:
		e.Interface("header", ev.Header.Attrs).Interface("xmlns", ev.Header.Decls).Msg("received header")
	case stream.KindElement:
		e.Str("in", string(stream.Marshal(redacted(ev.Element, ev.Space)))).Msg("received")
	case stream.KindClose:
		e.Msg("received stream close")
	}
}

// redacted returns el, or a copy with secret text replaced, so that no
// password or SASL payload reaches a log.
func redacted(el *etree.Element, space string) *etree.Element {
	switch space {
	case nsSASL, nsLegacySASL:
		cp := el.Copy()
		if cp.Text() != "" {
			cp.SetText("[redacted]")
		}
		return cp
	}
	for _, q := range el.ChildElements() {
		if q.Tag == "query" && q.NamespaceURI() == nsIQAuth {
			cp := el.Copy()
			for _, s := range cp.SelectElement("query").ChildElements() {
				if s.Tag == "password" || s.Tag == "digest" {
					s.SetText("[redacted]")
				}
			}
			return cp
		}
	}
	return el
}
