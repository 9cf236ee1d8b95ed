package chat

import (
	"math"
	"strings"

	"github.com/beevik/etree"

	"jabberd/store"
	"jabberd/stream"
)

// maxStatus bounds the status text kept with a subscription request.
const maxStatus = 1024

// subscription runs a subscription request or answer from user (the
// sender's account) about contact (RFC 6121 §3 and the state tables of its
// Appendix A). Both ends are accounts of this server, so the user's
// outbound side and the contact's inbound side are handled here together.
func (r *Router) subscription(from Session, el *etree.Element, typ, contactBare string) {
	user := r.localOf(bareOf(from.JID()))
	userBare := user + "@" + r.domain
	contact := r.localOf(contactBare)
	if contact == "" || !r.exists(contact) || contact == user {
		if typ == "subscribe" && contact != user {
			// RFC 6121 §3.1.3: no such contact: the request is answered
			// as if it had been denied, so the ask state clears.
			r.inboundUnsubscribed(user, contactBare)
		}
		return
	}
	out := subscriptionStanza(el, typ, userBare, contactBare)
	switch typ {
	case "subscribe":
		r.subscribe(user, userBare, contact, contactBare, out)
	case "subscribed":
		r.subscribed(user, userBare, contact, contactBare)
	case "unsubscribe":
		r.unsubscribe(user, userBare, contact, contactBare, out)
	case "unsubscribed":
		r.unsubscribed(user, userBare, contact, contactBare, out)
	}
}

// subscriptionStanza is the presence of type typ that goes from userBare
// to contactBare for el, what the user sent.
func subscriptionStanza(el *etree.Element, typ, userBare, contactBare string) *etree.Element {
	// Subscription stanzas carry the sender's bare JID (RFC 6121 §3.1.2).
	out := etree.NewElement("presence")
	out.CreateAttr("from", userBare)
	out.CreateAttr("to", contactBare)
	out.CreateAttr("type", typ)
	// Of what the sender wrote, only a short status goes on: the request
	// is stored with the contact until answered.
	if st := el.SelectElement("status"); st != nil {
		text := st.Text()
		if len(text) > maxStatus {
			text = strings.ToValidUTF8(text[:maxStatus], "")
		}
		out.CreateElement("status").SetText(text)
	}
	return out
}

// subscribe: user asks to see contact's presence; out is the request.
func (r *Router) subscribe(user, userBare, contact, contactBare string, out *etree.Element) {
	r.update(user, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		if it.Subscription != store.SubTo && it.Subscription != store.SubBoth {
			it.Ask = true
			it.Hidden = false
		}
		return it
	})
	cur, _, _ := r.data.RosterItem(contact, userBare)
	if cur.Subscription == store.SubFrom || cur.Subscription == store.SubBoth {
		// Already approved: the contact's server answers by itself.
		r.inboundSubscribed(user, contactBare)
		return
	}
	r.update(contact, userBare, func(it store.RosterItem, found bool) store.RosterItem {
		if !found {
			it.Hidden = true // a request is not a roster item yet
		}
		it.PendingIn = true
		it.PendingInStanza = stream.Marshal(out)
		return it
	})
	r.toAvailable(contactBare, out, nil)
}

// subscribed: user approves contact's pending request.
func (r *Router) subscribed(user, userBare, contact, contactBare string) {
	approved := false
	r.update(user, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		if !it.PendingIn {
			return it // no request to approve: ignored (no pre-approval)
		}
		approved = true
		it.PendingIn, it.PendingInStanza, it.Hidden = false, nil, false
		it.Subscription = addFrom(it.Subscription)
		return it
	})
	if approved {
		r.inboundSubscribed(contact, userBare)
	}
}

// unsubscribe: user stops seeing contact's presence; out tells the contact.
func (r *Router) unsubscribe(user, userBare, contact, contactBare string, out *etree.Element) {
	subscribed := false // the user saw the contact's presence until now
	r.update(user, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		subscribed = it.Subscription == store.SubTo || it.Subscription == store.SubBoth
		it.Subscription = removeTo(it.Subscription)
		it.Ask = false
		return it
	})
	r.update(contact, userBare, func(it store.RosterItem, _ bool) store.RosterItem {
		it.Subscription = removeFrom(it.Subscription)
		it.PendingIn, it.PendingInStanza = false, nil
		return it
	})
	r.toAvailable(contactBare, out, nil)
	if subscribed {
		// The user no longer sees the contact: its resources go away.
		r.unavailableTo(contactBare, userBare)
	}
}

// unsubscribed: user denies contact's request or cancels contact's
// subscription; out tells the contact.
func (r *Router) unsubscribed(user, userBare, contact, contactBare string, out *etree.Element) {
	subscribed := false // the contact saw the user's presence until now
	r.update(user, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		subscribed = it.Subscription == store.SubFrom || it.Subscription == store.SubBoth
		it.Subscription = removeFrom(it.Subscription)
		it.PendingIn, it.PendingInStanza = false, nil
		return it
	})
	r.inboundUnsubscribed(contact, userBare)
	r.toAvailable(contactBare, out, nil)
	if subscribed {
		r.unavailableTo(userBare, contactBare)
	}
}

// inboundSubscribed: owner's request to see contactBare was approved.
func (r *Router) inboundSubscribed(owner, contactBare string) {
	ownerBare := owner + "@" + r.domain
	changed := false
	r.update(owner, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		if it.Ask {
			it.Ask = false
			it.Subscription = addTo(it.Subscription)
			changed = true
		}
		return it
	})
	if !changed {
		return
	}
	note := etree.NewElement("presence")
	note.CreateAttr("from", contactBare)
	note.CreateAttr("to", ownerBare)
	note.CreateAttr("type", "subscribed")
	r.toAvailable(ownerBare, note, nil)
	// Now subscribed, the owner's sessions learn the contact's presence.
	for _, e := range r.available(ownerBare) {
		r.sendPresenceOf(contactBare, e.s, math.MaxUint64) // every resource: none told the owner before
	}
	r.subscribedHooks(ownerBare, contactBare)
}

// inboundUnsubscribed: owner's subscription to contactBare ended or was
// denied.
func (r *Router) inboundUnsubscribed(owner, contactBare string) {
	r.update(owner, contactBare, func(it store.RosterItem, _ bool) store.RosterItem {
		it.Subscription = removeTo(it.Subscription)
		it.Ask = false
		return it
	})
}

// update changes owner's item for jid with fn (found says whether it
// existed), deletes an item left with nothing in it, and pushes a visible
// change to owner's roster sessions.
func (r *Router) update(owner, jid string, fn func(it store.RosterItem, found bool) store.RosterItem) {
	item, kept, ver, err := r.data.UpdateRosterItem(owner, jid, func(it store.RosterItem, found bool) (store.RosterItem, bool) {
		before := it
		if !found {
			// A new item stays out of the roster (and is not created when
			// fn leaves nothing in it) unless fn makes it visible: only a
			// roster set or the user's own request adds a contact.
			it = store.RosterItem{JID: jid, Subscription: store.SubNone, Hidden: true}
		}
		it = fn(it, found)
		if it.Subscription == "" {
			it.Subscription = store.SubNone
		}
		empty := it.Subscription == store.SubNone && !it.Ask && !it.PendingIn && it.Hidden
		if !found && empty {
			return before, false
		}
		return it, !empty
	})
	if err != nil {
		r.log.Error().Err(err).Str("account", owner).Str("contact", jid).Msg("updating the roster failed")
		return
	}
	if kept && !item.Hidden {
		r.push(owner, item, ver)
	}
}

func addTo(s store.Subscription) store.Subscription {
	switch s {
	case store.SubFrom, store.SubBoth:
		return store.SubBoth
	}
	return store.SubTo
}

func addFrom(s store.Subscription) store.Subscription {
	switch s {
	case store.SubTo, store.SubBoth:
		return store.SubBoth
	}
	return store.SubFrom
}

func removeTo(s store.Subscription) store.Subscription {
	switch s {
	case store.SubBoth, store.SubFrom:
		return store.SubFrom
	}
	return store.SubNone
}

func removeFrom(s store.Subscription) store.Subscription {
	switch s {
	case store.SubBoth, store.SubTo:
		return store.SubTo
	}
	return store.SubNone
}

// redeliverRequests hands a session that became available the subscription
// requests that wait for an answer (RFC 6121 §3.1.3).
func (r *Router) redeliverRequests(s Session, items []store.RosterItem) {
	for _, it := range items {
		if !it.PendingIn || len(it.PendingInStanza) == 0 {
			continue
		}
		doc := etree.NewDocument()
		if doc.ReadFromBytes(it.PendingInStanza) == nil && doc.Root() != nil {
			_ = s.Deliver(doc.Root())
		}
	}
}
