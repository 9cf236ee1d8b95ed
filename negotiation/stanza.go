package negotiation

import (
	"github.com/beevik/etree"

	"jabberd/stream"
)

// NSStanzas is the namespace of stanza error conditions (RFC 6120 §8.3).
const NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// StanzaError describes an error reply: the RFC 6120 condition and type,
// and the legacy numeric code old clients read (XEP-0086).
type StanzaError struct {
	Code      string // "401"
	Type      string // "auth", "cancel", "modify", "wait"
	Condition string // "not-authorized"
	Text      string
}

// The stanza errors the server sends.
var (
	ErrNotAuthorized      = StanzaError{"401", "auth", "not-authorized", ""}
	ErrNotAcceptable      = StanzaError{"406", "modify", "not-acceptable", ""}
	ErrBadRequest         = StanzaError{"400", "modify", "bad-request", ""}
	ErrServiceUnavailable = StanzaError{"503", "cancel", "service-unavailable", ""}
	ErrNotAllowed         = StanzaError{"405", "cancel", "not-allowed", ""}
	ErrRemoteNotFound     = StanzaError{"404", "cancel", "remote-server-not-found", ""}
	ErrConflict           = StanzaError{"409", "cancel", "conflict", ""}
)

// WithText returns a copy of e carrying a human-readable text.
func (e StanzaError) WithText(text string) StanzaError {
	e.Text = text
	return e
}

// ErrorReply builds the error answer to stanza el: same name and id, to and
// from swapped, type='error', the original payload kept (RFC 6120 §8.3.1)
// except its secrets: a password sent in a request never comes back.
func ErrorReply(el *etree.Element, e StanzaError) *etree.Element {
	r := etree.NewElement(el.Tag)
	if id := el.SelectAttr("id"); id != nil {
		r.CreateAttr("id", id.Value)
	}
	r.CreateAttr("type", "error")
	if to := el.SelectAttrValue("to", ""); to != "" {
		r.CreateAttr("from", to)
	}
	if from := el.SelectAttrValue("from", ""); from != "" {
		r.CreateAttr("to", from)
	}
	for _, c := range withoutSecrets(el).ChildElements() {
		r.AddChild(c)
	}
	r.AddChild(e.Element())
	return r
}

// Element is the <error/> child.
func (e StanzaError) Element() *etree.Element {
	x := etree.NewElement("error")
	if e.Code != "" {
		x.CreateAttr("code", e.Code)
	}
	x.CreateAttr("type", e.Type)
	x.CreateElement(e.Condition).CreateAttr("xmlns", NSStanzas)
	if e.Text != "" {
		t := x.CreateElement("text")
		t.CreateAttr("xmlns", NSStanzas)
		t.CreateAttr("xml:lang", "en")
		t.SetText(e.Text)
	}
	return x
}

// sendElement queues el for the client.
func (m *Machine) sendElement(el *etree.Element) { stream.AppendElement(&m.out, el) }

// replyError answers stanza el with an error (never an error to an error).
func (m *Machine) replyError(el *etree.Element, e StanzaError) {
	if el.SelectAttrValue("type", "") == "error" {
		return
	}
	m.sendElement(ErrorReply(el, e))
}

// iqChild returns the first child of an <iq/> in namespace ns named local
// ("" for any name).
func iqChild(el *etree.Element, ns, local string) *etree.Element {
	if el.Tag != "iq" {
		return nil
	}
	for _, c := range el.ChildElements() {
		if (local == "" || c.Tag == local) && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// onStanza handles a stanza on a bound stream: the one session request the
// machine answers itself, then stamping and routing.
func (m *Machine) onStanza(el *etree.Element) {
	if iqChild(el, NSSession, "session") != nil && el.SelectAttrValue("type", "") == "set" {
		// RFC 3921 session establishment: a no-op kept for old clients.
		m.sendElement(resultFor(el))
		return
	}
	// RFC 6120 §8.1.2.1: the server stamps the full JID of the sender.
	if a := el.SelectAttr("from"); a != nil {
		a.Value = m.jid
	} else {
		el.CreateAttr("from", m.jid)
	}
	m.flush()
	m.actions = append(m.actions, Action{Kind: Route, Element: el})
}
