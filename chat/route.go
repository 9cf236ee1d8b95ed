package chat

import (
	"errors"
	"strings"

	"github.com/beevik/etree"

	"jabberd/accounts"
	"jabberd/stanza"
)

// Route handles a stanza a bound session sent, its from already stamped by
// the session's stream. What cannot be delivered is answered to the sender
// with a stanza error.
func (r *Router) Route(from Session, el *etree.Element) {
	if m := r.opt.Metrics; m != nil {
		m.Routed()
	}
	to := el.SelectAttrValue("to", "")
	bareTo, _ := split(to)
	if to != "" && bareTo != bareOf(from.JID()) && bareTo != r.domain && r.enforceBlocks(from, el, to) {
		return // XEP-0191
	}
	if to == "" && el.Tag == "message" {
		// RFC 6120 §10.3.1: a message without 'to' is for the sender's
		// own account.
		bareTo = bareOf(from.JID())
	}
	switch el.Tag {
	case "presence":
		r.stampPresence(from, el) // XEP-0153, also for presence to rooms
	case "message":
		r.stripStanzaIDs(el) // XEP-0359, also in messages to rooms
	}
	if c := r.component(bareTo); c != nil {
		// A room or the service of a component (multi-user chat).
		c.Handle(from.JID(), el)
		return
	}
	switch el.Tag {
	case "presence":
		r.presence(from, el, to)
		if to == "" && el.SelectAttrValue("type", "") == "unavailable" {
			r.gone(from.JID())
		}
	case "message":
		r.addressed(from, el, bareTo, r.message)
		r.carbons(bareOf(from.JID()), "sent", el, from)
	case "iq":
		if to == "" || bareTo == r.domain || (bareTo == bareOf(from.JID()) && !strings.Contains(to, "/")) {
			// IQs to the server, and to one's own bare JID, are answered by
			// the server for the account (RFC 6120 §10.3.3).
			r.serverIQ(from, el)
			return
		}
		r.addressed(from, el, bareTo, r.iqToUser)
	}
}

// addressed checks the recipient's domain and account before handing a
// message or IQ on.
func (r *Router) addressed(from Session, el *etree.Element, bareTo string, deliver func(Session, *etree.Element, string)) {
	local := r.localOf(bareTo)
	switch {
	case local == "" && !strings.HasSuffix(bareTo, "@"+r.domain) && bareTo != r.domain:
		// No server-to-server links: every other domain is unreachable.
		_, domain, _ := strings.Cut(bareTo, "@")
		if domain == "" {
			domain = bareTo
		}
		r.bounce(from, el, stanza.ErrRemoteNotFound.WithText("this server does not federate; "+domain+" is not reachable"))
	case local == "":
		r.bounce(from, el, stanza.ErrServiceUnavailable)
	case !r.exists(local):
		// RFC 6121 §8.5.1: no such account.
		r.bounce(from, el, stanza.ErrServiceUnavailable)
	default:
		deliver(from, el, local)
	}
}

// exists reports whether local is an account here.
func (r *Router) exists(local string) bool {
	_, err := r.data.Lookup(local)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		r.log.Error().Err(err).Str("account", local).Msg("account lookup failed")
	}
	return err == nil
}

// iqToUser delivers an IQ to exactly one session: a full JID that is bound.
// An IQ to another user's bare JID is the server's to answer on the
// account's behalf: the IQ handlers' (another user's vCard).
func (r *Router) iqToUser(from Session, el *etree.Element, _ string) {
	to := el.SelectAttrValue("to", "")
	if !strings.Contains(to, "/") {
		if q := firstChild(el); q != nil && q.Tag == "query" && q.NamespaceURI() == NSDiscoInfo &&
			el.SelectAttrValue("type", "") == "get" && q.SelectAttr("node") == nil {
			// Another account's disco#info (XEP-0163 §6: is PEP there).
			_ = from.Deliver(r.accountInfo(el, from))
			return
		}
		if r.handleIQ(from, el, bareOf(to)) {
			return
		}
	} else if s := r.Lookup(to); s != nil {
		if s.Deliver(el) == nil {
			return
		}
	}
	r.bounce(from, el, stanza.ErrServiceUnavailable)
}

// bounce returns an error reply to the sender (never for an error, nor
// for an IQ result: RFC 6120 §8.2.3, a response is not answered).
func (r *Router) bounce(from Session, el *etree.Element, e stanza.Error) {
	if typ := el.SelectAttrValue("type", ""); typ == "error" || (el.Tag == "iq" && typ == "result") {
		return
	}
	reply := stanza.ErrorReply(el, e)
	if reply.SelectAttr("from") == nil {
		reply.CreateAttr("from", r.domain)
	}
	_ = from.Deliver(reply)
}
