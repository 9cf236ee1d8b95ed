package negotiation

import (
	"github.com/beevik/etree"

	"jabberd/stanza"
	"jabberd/stream"
)

// sendElement queues el for the client.
func (m *Machine) sendElement(el *etree.Element) { stream.AppendElement(&m.out, el) }

// replyError answers stanza el with an error (never an error to an error).
func (m *Machine) replyError(el *etree.Element, e stanza.Error) {
	if el.SelectAttrValue("type", "") == "error" {
		return
	}
	m.sendElement(stanza.ErrorReply(el, e))
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
		if m.smOn {
			// Counted with what the connection sends.
			m.flush()
			m.actions = append(m.actions, Action{Kind: Reply, Element: resultFor(el)})
			return
		}
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
