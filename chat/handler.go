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

// AccountFeaturer is an IQHandler that serves the accounts themselves:
// its AccountFeatures are listed in the disco#info of an account's bare
// JID, which the server answers for the account (XEP-0163 §6 and XEP-0313
// §7: a client looks for PEP and MAM there).
type AccountFeaturer interface {
	AccountFeatures() []string
}

// AccountIdentifier is an IQHandler that adds an identity to the
// disco#info of an account's bare JID (PEP's pubsub/pep, XEP-0163 §6.1).
type AccountIdentifier interface {
	AccountIdentity() (category, typ string)
}

// ResultHandler is an IQHandler that sends requests of its own to
// sessions, from the server (PEP asks a client's disco#info, XEP-0115);
// the router offers it every IQ result and error addressed to the server.
type ResultHandler interface {
	// HandleResult takes el (type result or error) from the session
	// from, and reports whether it was the answer to one of its requests.
	HandleResult(from Session, el *etree.Element) bool
}

// PresenceWatcher is an IQHandler told of a session's initial presence,
// after the router has handled it (PEP sends the last published items),
// on the session's goroutine.
type PresenceWatcher interface {
	InitialPresence(s Session, el *etree.Element)
}

// SubscriptionWatcher is an IQHandler told that a session's account now
// sees a contact's presence (the contact approved the subscription; PEP
// sends the contact's last published items).
type SubscriptionWatcher interface {
	Subscribed(s Session, contactBare string)
}

// RouterUser is an IQHandler that delivers through the router by itself
// (PEP's notifications); NewRouter gives it the router.
type RouterUser interface {
	UseRouter(r *Router)
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

// handleResult offers an IQ result or error addressed to the server to
// the handlers that send requests of their own.
func (r *Router) handleResult(from Session, el *etree.Element) {
	for _, h := range r.opt.IQHandlers {
		if rh, ok := h.(ResultHandler); ok && rh.HandleResult(from, el) {
			return
		}
	}
}

// initialPresenceHooks tells the handlers that watch for it that a
// session sent its initial presence.
func (r *Router) initialPresenceHooks(s Session, el *etree.Element) {
	for _, h := range r.opt.IQHandlers {
		if w, ok := h.(PresenceWatcher); ok {
			w.InitialPresence(s, el)
		}
	}
}

// subscribedHooks tells the handlers that watch for it that the sessions
// of ownerBare now see contactBare's presence.
func (r *Router) subscribedHooks(ownerBare, contactBare string) {
	for _, h := range r.opt.IQHandlers {
		if w, ok := h.(SubscriptionWatcher); ok {
			for _, e := range r.available(ownerBare) {
				w.Subscribed(e.s, contactBare)
			}
		}
	}
}

// accountInfo is the disco#info of an account, which the server answers
// for it (RFC 6120 §10.3.3): the account identity and those of the IQ
// handlers, and the account features of the IQ handlers.
func (r *Router) accountInfo(el *etree.Element, from Session) *etree.Element {
	res := r.reply(el, from)
	info := res.CreateElement("query")
	info.CreateAttr("xmlns", NSDiscoInfo)
	identity := func(category, typ string) {
		id := info.CreateElement("identity")
		id.CreateAttr("category", category)
		id.CreateAttr("type", typ)
	}
	identity("account", "registered")
	for _, h := range r.opt.IQHandlers {
		if a, ok := h.(AccountIdentifier); ok {
			identity(a.AccountIdentity())
		}
	}
	info.CreateElement("feature").CreateAttr("var", NSDiscoInfo)
	for _, h := range r.opt.IQHandlers {
		if a, ok := h.(AccountFeaturer); ok {
			for _, f := range a.AccountFeatures() {
				info.CreateElement("feature").CreateAttr("var", f)
			}
		}
	}
	return res
}

// Presence is an available session and the last available presence it
// broadcast (its XEP-0115 caps are there).
type Presence struct {
	Session
	Presence *etree.Element
}

// Presences returns the available sessions of a bare JID; the presence
// elements are the router's: read them, never change them.
func (r *Router) Presences(bare string) []Presence {
	es := r.available(bareOf(bare))
	out := make([]Presence, 0, len(es))
	for _, e := range es {
		out = append(out, Presence{e.s, e.presence})
	}
	return out
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
	if reply := IQErrorReply(from, el, to, e); reply != nil {
		_ = from.Deliver(reply)
	}
}

// IQErrorReply is the reply IQError sends (nil for a response), for a
// handler to add to its <error/> before it sends it.
func IQErrorReply(from Session, el *etree.Element, to string, e stanza.Error) *etree.Element {
	bare := etree.NewElement(el.Tag)
	for _, a := range el.Attr {
		bare.CreateAttr(a.FullKey(), a.Value)
	}
	return stanza.BounceTo(bare, e, from.JID(), to)
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
