package chat

import (
	"errors"
	"time"

	"github.com/beevik/etree"

	"jabberd/stanza"
	"jabberd/store"
	"jabberd/stream"
)

// NSDelay is XEP-0203, which stamps messages delivered from offline storage.
const NSDelay = "urn:xmpp:delay"

// message delivers a message to a local account (RFC 6121 §8.5.2-3): to the
// addressed resource if it is bound, else to the available resource(s) of
// highest non-negative priority, else to offline storage — for chat and
// normal messages; headlines are dropped and groupchat is an error.
func (r *Router) message(from Session, el *etree.Element, local string) {
	typ := el.SelectAttrValue("type", "normal")
	if typ == "error" {
		r.deliverOrDrop(el, local)
		return
	}
	ticket, archived := r.archive(from, el, local, typ)
	if !r.deliverMessage(from, el, local, typ) && archived {
		r.opt.Archiver.Withdraw(ticket)
	}
}

// archive queues a chat or normal message for the archive, with its ID on
// it, when an archiver is on (XEP-0313, XEP-0359).
func (r *Router) archive(from Session, el *etree.Element, local, typ string) (ArchiveTicket, bool) {
	if r.opt.Archiver == nil || (typ != "chat" && typ != "normal") {
		return ArchiveTicket{}, false
	}
	return r.opt.Archiver.Archive(el, from.JID(), local+"@"+r.domain)
}

// deliverMessage is message's delivery; true when the message was
// accepted: delivered to a session or stored offline.
func (r *Router) deliverMessage(from Session, el *etree.Element, local, typ string) bool {
	to := el.SelectAttrValue("to", "")
	if _, res := split(to); res != "" {
		if s := r.Lookup(to); s != nil && s.Deliver(el) == nil {
			r.carbons(local+"@"+r.domain, "received", el, s)
			return true
		}
	}
	if typ == "groupchat" {
		// RFC 6121 §8.5.2.1.1, §8.5.3.2.1: groupchat goes to the addressed
		// resource only, never to a bare JID's resources or storage.
		r.bounce(from, el, stanza.ErrServiceUnavailable)
		return false
	}
	if got := r.deliverToBestTo(el, local); len(got) > 0 {
		r.carbons(local+"@"+r.domain, "received", el, got...)
		return true
	}
	switch typ {
	case "chat", "normal":
		return r.storeOffline(from, el, local)
	default: // headline and unknown types: not stored (RFC 6121 §8.5.2.1.1)
		return false
	}
}

// deliverToBest sends el to the available sessions of local with the
// highest non-negative priority; false if none took it.
func (r *Router) deliverToBest(el *etree.Element, local string) bool {
	return len(r.deliverToBestTo(el, local)) > 0
}

// deliverToBestTo is deliverToBest, returning the sessions that took el.
func (r *Router) deliverToBestTo(el *etree.Element, local string) []Session {
	best := -1
	var targets []Session
	for _, e := range r.available(local + "@" + r.domain) {
		switch {
		case e.priority < 0 || e.priority < best:
		case e.priority > best:
			best, targets = e.priority, []Session{e.s}
		default:
			targets = append(targets, e.s)
		}
	}
	var delivered []Session
	for _, s := range targets {
		if s.Deliver(el) == nil {
			delivered = append(delivered, s)
		}
	}
	return delivered
}

// bestAvailable returns one available session of local with the highest
// non-negative priority, or nil.
func (r *Router) bestAvailable(local string) Session {
	var best *entry
	for _, e := range r.available(local + "@" + r.domain) {
		if e.priority >= 0 && (best == nil || e.priority > best.priority) {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	return best.s
}

// deliverOrDrop delivers an error message if anyone can take it; errors are
// never stored or bounced.
func (r *Router) deliverOrDrop(el *etree.Element, local string) {
	if s := r.Lookup(el.SelectAttrValue("to", "")); s != nil && s.Deliver(el) == nil {
		return
	}
	r.deliverToBest(el, local)
}

// storeOffline commits el to the recipient's offline storage, or answers
// the sender when it cannot (quota, store failure); true when stored.
func (r *Router) storeOffline(from Session, el *etree.Element, local string) bool {
	err := r.data.StoreOffline(local, stream.Marshal(el), r.opt.OfflineQuota)
	switch {
	case err == nil:
		if m := r.opt.Metrics; m != nil {
			m.OfflineStored()
		}
		// A resource may have become available between the look for one
		// and the commit, and taken the queue before this message was in
		// it: hand the queue to such a resource now (taking is atomic, so
		// nothing is delivered twice).
		if s := r.bestAvailable(local); s != nil {
			r.deliverOffline(s)
		}
		return true
	case errors.Is(err, store.ErrQuotaExceeded): // the store wraps it
		r.bounce(from, el, stanza.ErrServiceUnavailable.WithText("the recipient's offline storage is full"))
	default:
		r.log.Error().Err(err).Str("account", local).Msg("storing an offline message failed")
		r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error", Text: "the message could not be stored"})
	}
	return false
}

// StoreUndeliverable is for stanzas that were on their way to a session
// that closed: messages of the kinds that are stored go offline.
func (r *Router) StoreUndeliverable(el *etree.Element) {
	if el.Tag != "message" {
		return
	}
	switch el.SelectAttrValue("type", "normal") {
	case "chat", "normal":
	default:
		return
	}
	local := r.localOf(bareOf(el.SelectAttrValue("to", "")))
	if local == "" {
		return
	}
	// A message that came out of storage carries our delay stamp: the
	// stamp goes back in with the message, not on top of it.
	for _, d := range el.SelectElements("delay") {
		if d.NamespaceURI() == NSDelay && d.SelectAttrValue("from", "") == r.domain {
			el.RemoveChild(d)
		}
	}
	if err := r.data.StoreOffline(local, stream.Marshal(el), r.opt.OfflineQuota); err != nil {
		r.log.Error().Err(err).Str("account", local).Msg("a message for a closing session could not be stored")
	} else if m := r.opt.Metrics; m != nil {
		m.OfflineStored()
	}
}

// deliverOffline sends s the messages stored for its account, each with a
// delay stamp of when it was stored (XEP-0203). What cannot be delivered
// goes back to storage.
func (r *Router) deliverOffline(s Session) {
	local := r.localOf(bareOf(s.JID()))
	msgs, err := r.data.TakeOffline(local)
	if err != nil {
		r.log.Error().Err(err).Str("account", local).Msg("reading offline messages failed")
		return
	}
	for _, m := range msgs {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(m.Stanza); err != nil || doc.Root() == nil {
			r.log.Error().Err(err).Str("account", local).Msg("a stored offline message is unreadable; dropped")
			continue
		}
		el := doc.Root()
		d := el.CreateElement("delay")
		d.CreateAttr("xmlns", NSDelay)
		d.CreateAttr("from", r.domain)
		d.CreateAttr("stamp", m.Stored.UTC().Format(time.RFC3339))
		d.SetText("Offline Storage")
		if s.Deliver(el) != nil {
			r.StoreUndeliverable(el) // back to storage, without our stamp
		} else if m := r.opt.Metrics; m != nil {
			m.OfflineDelivered()
		}
	}
}

// BounceUndeliverable answers the sender of a stanza that a session with
// stream management never acknowledged and that is not stored: an IQ
// request gets service-unavailable (XEP-0198 §4), a message that is not
// stored is an error only for the kinds RFC 6121 answers (groupchat).
func (r *Router) BounceUndeliverable(el *etree.Element) {
	typ := el.SelectAttrValue("type", "")
	switch {
	case el.Tag == "iq" && (typ == "get" || typ == "set"):
	case el.Tag == "message" && typ == "groupchat":
	default:
		return
	}
	from := el.SelectAttrValue("from", "")
	reply := stanza.ErrorReply(el, stanza.ErrServiceUnavailable.WithText("the recipient's session ended before it acknowledged this"))
	if reply.SelectAttr("from") == nil {
		reply.CreateAttr("from", r.domain)
	}
	if s := r.Lookup(from); s != nil {
		_ = s.Deliver(reply)
	}
}

// Stored reports whether StoreUndeliverable keeps el.
func Stored(el *etree.Element) bool {
	if el.Tag != "message" {
		return false
	}
	typ := el.SelectAttrValue("type", "normal")
	return typ == "chat" || typ == "normal"
}
