package chat

import "github.com/beevik/etree"

// Namespaces of XEP-0280 Message Carbons.
const (
	NSCarbons = "urn:xmpp:carbons:2"
	NSForward = "urn:xmpp:forward:0"
	NSHints   = "urn:xmpp:hints"
)

// setCarbons turns XEP-0280 on or off for one session (a flag in its
// entry: nothing is allocated).
func (r *Router) setCarbons(s Session, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.entryOf(s); e != nil {
		e.carbons = on
	}
}

// carbonEligible: XEP-0280 §6 — chat messages, not marked private or
// no-copy, and not themselves carbons or errors.
func carbonEligible(el *etree.Element) bool {
	if el.Tag != "message" || el.SelectAttrValue("type", "normal") != "chat" {
		return false
	}
	for _, c := range el.ChildElements() {
		switch ns := c.NamespaceURI(); {
		case ns == NSCarbons: // <private/>, or a carbon itself
			return false
		case ns == NSHints && c.Tag == "no-copy":
			return false
		}
	}
	return true
}

// carbons sends a copy of el ("sent" or "received", XEP-0280 §7-8) to the
// sessions of bare that enabled carbons, other than those in except (the
// sender, or the sessions that got the message itself).
func (r *Router) carbons(bare, kind string, el *etree.Element, except ...Session) {
	if !carbonEligible(el) || r.localOf(bare) == "" {
		return
	}
	r.mu.Lock()
	var to []Session
next:
	for _, e := range r.byBare[bare] {
		if !e.carbons {
			continue
		}
		for _, x := range except {
			if e.s == x {
				continue next
			}
		}
		to = append(to, e.s)
	}
	r.mu.Unlock()
	for _, s := range to {
		c := etree.NewElement("message")
		c.CreateAttr("from", bare)
		c.CreateAttr("to", s.JID())
		c.CreateAttr("type", "chat")
		w := c.CreateElement(kind)
		w.CreateAttr("xmlns", NSCarbons)
		f := w.CreateElement("forwarded")
		f.CreateAttr("xmlns", NSForward)
		orig := el.Copy()
		if orig.SelectAttr("xmlns") == nil {
			orig.CreateAttr("xmlns", "jabber:client")
		}
		f.AddChild(orig)
		_ = s.Deliver(c)
	}
}
