package chat

import (
	"github.com/beevik/etree"

	"jabberd/stanza"
)

// IQHandler answers IQ requests in namespaces of its own on behalf of the
// server's accounts (vcard-temp; PEP and MAM can hook in the same way):
// requests to the server, to the sender's own bare JID (or without 'to'),
// and to another local account's bare JID. The router has by then checked
// that the account exists and that no XEP-0191 block stands between the
// two.
type IQHandler interface {
	// Features are what it adds to the server's disco#info.
	Features() []string
	// HandleIQ takes the request el (type get or set) whose one payload is
	// q, from the session from, addressed to the bare JID to: the sender's
	// own when el has no 'to', the domain for the server. It answers
	// through from.Deliver and reports true, or reports false when q is
	// not its to answer (the router goes on).
	HandleIQ(from Session, el, q *etree.Element, to string) bool
}

// PresenceStamper is an IQHandler that adds to the available presence a
// user sends before it is routed (XEP-0153's photo hash). It is called on
// the sender's goroutine for every such presence: it must be cheap.
type PresenceStamper interface {
	// StampPresence may add children to el, sent by account (a bare JID).
	StampPresence(account string, el *etree.Element)
}

// handleIQ offers an IQ request to the handlers; false if none took it.
func (r *Router) handleIQ(from Session, el *etree.Element, to string) bool {
	if len(r.opt.IQHandlers) == 0 {
		return false
	}
	if typ := el.SelectAttrValue("type", ""); typ != "get" && typ != "set" {
		return false
	}
	q := firstChild(el)
	if q == nil {
		return false
	}
	for _, h := range r.opt.IQHandlers {
		if h.HandleIQ(from, el, q, to) {
			return true
		}
	}
	return false
}

// stampPresence lets the handlers add to an available presence.
func (r *Router) stampPresence(from Session, el *etree.Element) {
	if len(r.stampers) == 0 || el.SelectAttrValue("type", "") != "" {
		return
	}
	bare := bareOf(from.JID())
	for _, s := range r.stampers {
		s.StampPresence(bare, el)
	}
}

// IQError answers the request el from the session from, addressed to
// the bare JID to, with the error e, without echoing its payload (what
// was refused, maybe for its size, is not sent back).
func IQError(from Session, el *etree.Element, to string, e stanza.Error) {
	bare := etree.NewElement(el.Tag)
	for _, a := range el.Attr {
		bare.CreateAttr(a.FullKey(), a.Value)
	}
	if reply := stanza.BounceTo(bare, e, from.JID(), to); reply != nil {
		_ = from.Deliver(reply)
	}
}

// IQResult is the empty result of an IQ request el from the session whose
// full JID is from: from the JID it was addressed to (the sender's bare
// JID when none), to the sender.
func IQResult(el *etree.Element, from string) *etree.Element {
	res := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		res.CreateAttr("id", id.Value)
	}
	res.CreateAttr("type", "result")
	to := el.SelectAttrValue("to", "")
	if to == "" {
		to = bareOf(from)
	}
	res.CreateAttr("from", to)
	res.CreateAttr("to", from)
	return res
}
