package negotiation

import (
	"bytes"

	"github.com/beevik/etree"

	"jabberd/accounts"
	"jabberd/stanza"
	"jabberd/stream"
)

// Namespaces of RFC 6120 resource binding and the RFC 3921 session.
const (
	NSBind    = "urn:ietf:params:xml:ns:xmpp-bind"
	NSSession = "urn:ietf:params:xml:ns:xmpp-session"
)

// bindFeature is RFC 6120 §7 resource binding, with the RFC 3921 session
// feature advertised as optional for old clients.
func bindFeature() *Feature {
	return &Feature{
		Name:    "bind",
		Needs:   Authenticated,
		Forbids: Bound,
		Available: func(m *Machine) bool {
			return m.dialect == RFC6120
		},
		Refusal: func(m *Machine) string {
			if m.facts&Authenticated == 0 {
				return "authenticate before binding a resource"
			}
			return "a resource is already bound on this stream"
		},
		Advertise: func(m *Machine, b *bytes.Buffer) {
			b.WriteString("<bind xmlns='" + NSBind + "'/>")
			b.WriteString("<session xmlns='" + NSSession + "'><optional/></session>")
			// RFC 6121 §2.6: roster versioning is supported.
			b.WriteString("<ver xmlns='urn:xmpp:features:rosterver'/>")
		},
		Matches: func(el *etree.Element, space string) bool {
			return space == stream.NSClient && iqChild(el, NSBind, "bind") != nil
		},
		Negotiate: func(m *Machine, el *etree.Element, _ string) { m.onBind(el) },
	}
}

func (m *Machine) onBind(el *etree.Element) {
	if el.SelectAttrValue("type", "") != "set" {
		m.replyError(el, stanza.ErrBadRequest.WithText("resource binding takes type set"))
		return
	}
	res := childText(iqChild(el, NSBind, "bind"), "resource")
	if res == "" {
		// RFC 6120 §7.6: the server generates one when none is asked for.
		res = "jabberd-" + m.newID()
	}
	prepared, err := accounts.PrepareResource(res)
	if err != nil {
		m.replyError(el, stanza.ErrBadRequest.WithText("the resource is not valid"))
		return
	}
	// Bound in the router before the client reads the result: a message
	// sent to the new JID right after must find it.
	m.bind(prepared)
	r := resultFor(el)
	b := r.CreateElement("bind")
	b.CreateAttr("xmlns", NSBind)
	b.CreateElement("jid").SetText(m.jid)
	m.sendElement(r)
}
