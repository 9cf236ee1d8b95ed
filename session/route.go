package session

import (
	"strings"

	"github.com/beevik/etree"

	"jabberd/negotiation"
)

// NSPing is XEP-0199.
const NSPing = "urn:xmpp:ping"

// Route delivers a stanza whose from the sender's stream has stamped. What
// cannot be delivered is answered to the sender with a stanza error.
func (r *Router) Route(from Session, el *etree.Element) {
	to := el.SelectAttrValue("to", "")
	bareTo, res := split(to)
	local, domain, hasLocal := strings.Cut(bareTo, "@")
	if !hasLocal {
		domain, local = bareTo, ""
	}
	switch {
	case to == "" || (local == "" && domain == r.domain):
		r.toServer(from, el)
	case domain != r.domain:
		// No server-to-server links: every other domain is unreachable.
		r.bounce(from, el, negotiation.ErrRemoteNotFound.WithText("this server does not federate; "+domain+" is not reachable"))
	case el.Tag == "iq" && res == "" && bareTo == bareOf(from.JID()):
		// An IQ to one's own bare JID is answered by the server for the
		// account (RFC 6120 §10.3.3).
		r.toServer(from, el)
	default:
		r.toUser(from, el, bareTo, res)
	}
}

func (r *Router) toUser(from Session, el *etree.Element, bare, res string) {
	if res != "" {
		if s := r.Lookup(bare + "/" + res); s != nil {
			// The addressed session gets one try; its failure is the
			// sender's answer, not a reason to copy it to the others.
			if s.Deliver(el) != nil && el.Tag != "presence" {
				r.bounce(from, el, negotiation.ErrServiceUnavailable)
			}
			return
		}
		if el.Tag == "iq" {
			// IQs go to one resource only: no fallback to the bare JID.
			r.bounce(from, el, negotiation.ErrServiceUnavailable)
			return
		}
	}
	delivered := false
	for _, s := range r.Resources(bare) {
		if el.Tag == "iq" {
			break
		}
		if s.Deliver(el) == nil {
			delivered = true
		}
	}
	if !delivered && el.Tag != "presence" {
		r.bounce(from, el, negotiation.ErrServiceUnavailable)
	}
}

// toServer answers stanzas addressed to the server (or to the account, for
// IQs): XEP-0199 ping; everything else is service-unavailable.
func (r *Router) toServer(from Session, el *etree.Element) {
	if el.Tag != "iq" {
		return // messages and presence to the server: nothing to do yet
	}
	typ := el.SelectAttrValue("type", "")
	if typ == "result" || typ == "error" {
		return
	}
	if typ == "get" && hasChild(el, NSPing, "ping") {
		res := etree.NewElement("iq")
		res.CreateAttr("type", "result")
		if id := el.SelectAttr("id"); id != nil {
			res.CreateAttr("id", id.Value)
		}
		res.CreateAttr("from", orDefault(el.SelectAttrValue("to", ""), r.domain))
		res.CreateAttr("to", from.JID())
		_ = from.Deliver(res)
		return
	}
	r.bounce(from, el, negotiation.ErrServiceUnavailable)
}

// bounce returns an error reply to the sender (never for an error).
func (r *Router) bounce(from Session, el *etree.Element, e negotiation.StanzaError) {
	if el.SelectAttrValue("type", "") == "error" {
		return
	}
	reply := negotiation.ErrorReply(el, e)
	if reply.SelectAttr("from") == nil {
		reply.CreateAttr("from", r.domain)
	}
	_ = from.Deliver(reply)
}

func hasChild(el *etree.Element, ns, local string) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == ns {
			return true
		}
	}
	return false
}

func bareOf(jid string) string {
	b, _ := split(jid)
	return b
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
