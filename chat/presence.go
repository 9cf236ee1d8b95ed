package chat

import (
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"jabberd/store"
)

// presence handles a presence stanza from a session (RFC 6121 §3-4).
func (r *Router) presence(from Session, el *etree.Element, to string) {
	typ := el.SelectAttrValue("type", "")
	switch typ {
	case "subscribe", "subscribed", "unsubscribe", "unsubscribed":
		if to != "" { // a subscription stanza without a contact means nothing
			r.subscription(from, el, typ, bareOf(to))
		}
		return
	case "probe", "error":
		return // probes are the server's business; errors are not routed here
	case "", "unavailable":
	default:
		return
	}
	if to != "" {
		r.directed(from, el, to, typ)
		return
	}
	r.broadcast(from, el, typ)
}

// initialPresence is what a resource's first presence brings it: the
// presence of the contacts the user is subscribed to (all local: their
// current presence is known), its own other resources', and the
// subscription requests that waited.
func (r *Router) initialPresence(from Session, items []store.RosterItem, turn uint64) {
	for _, it := range items {
		if it.Subscription == store.SubTo || it.Subscription == store.SubBoth {
			if byR, byS := r.blockedBetween(it.JID, from.JID()); byR || byS {
				continue
			}
			r.sendPresenceOf(it.JID, from, turn)
		}
	}
	r.sendOwnResources(from)
	r.redeliverRequests(from, items)
}

// broadcast handles presence without a 'to': the session's own
// availability, sent to its subscribers and its other resources.
func (r *Router) broadcast(from Session, el *etree.Element, typ string) {
	// One account's presence changes are processed one at a time: two
	// resources coming online together would otherwise each see the other
	// twice (once from its broadcast, once in the snapshot of the user's
	// available resources).
	unlock := r.lockAccount(bareOf(from.JID()))
	defer unlock()
	r.mu.Lock()
	e := r.entryOf(from)
	if e == nil {
		r.mu.Unlock()
		return
	}
	initial := typ == "" && !e.available
	var directed []string
	r.turn++
	turn := r.turn
	if initial {
		e.since = turn
	}
	e.changed = turn
	if typ == "" {
		e.available = true
		e.priority = priorityOf(el)
		e.presence = el.Copy()
	} else {
		e.available = false
		e.presence = nil
		for jid := range e.directed {
			directed = append(directed, jid)
		}
		e.directed = nil
	}
	r.mu.Unlock()

	owner := r.localOf(bareOf(from.JID()))
	items, _, err := r.data.Roster(owner)
	if err != nil {
		r.log.Error().Err(err).Str("account", owner).Msg("reading the roster failed")
	}
	sent := map[string]bool{}
	for _, it := range items {
		if it.Subscription == store.SubFrom || it.Subscription == store.SubBoth {
			if byR, byS := r.blockedBetween(from.JID(), it.JID); byR || byS {
				continue
			}
			r.toOnlineBefore(it.JID, el, turn)
			sent[it.JID] = true
		}
	}
	// The user's available resources see it too, the sender included
	// (RFC 6121 §4.2.2, §4.4.2): that echo tells a client its presence
	// was processed.
	if typ == "" {
		r.toAvailable(bareOf(from.JID()), el, nil)
	} else {
		r.toAvailable(bareOf(from.JID()), el, from)
	}
	for _, jid := range directed {
		if !sent[bareOf(jid)] {
			r.deliverPresence(jid, el)
		}
	}
	if initial {
		r.initialPresence(from, items, turn)
		r.initialPresenceHooks(from, el)
	}
	// Offline messages go to a resource that can take messages: available
	// with a non-negative priority (XEP-0160), at its first such presence.
	if typ == "" && priorityOf(el) >= 0 {
		r.deliverOffline(from)
	}
}

// maxDirected bounds the directed-presence recipients one session is
// remembered to have.
const maxDirected = 100

// directed sends presence to one JID and remembers it, so that the
// recipient learns of the unavailable too (RFC 6121 §4.6).
func (r *Router) directed(from Session, el *etree.Element, to, typ string) {
	r.mu.Lock()
	if e := r.entryOf(from); e != nil {
		// Only presence that reached someone here is remembered, and not
		// without bound: the map lives as long as the session.
		if typ == "" && r.localOf(bareOf(to)) != "" && len(e.directed) < maxDirected {
			if e.directed == nil {
				e.directed = map[string]bool{}
			}
			e.directed[to] = true
		} else if typ != "" {
			delete(e.directed, to)
		}
	}
	r.mu.Unlock()
	r.deliverPresence(to, el)
}

// deliverPresence sends presence to a JID of this server: a full JID's
// session, or a bare JID's available sessions. Presence is never stored.
func (r *Router) deliverPresence(to string, el *etree.Element) {
	if _, res := split(to); res != "" {
		if s := r.Lookup(to); s != nil {
			_ = s.Deliver(el)
		}
		return
	}
	r.toAvailable(bareOf(to), el, nil)
}

// toAvailable sends el to the available sessions of bare, except skip,
// each copy addressed to its session's full JID.
func (r *Router) toAvailable(bare string, el *etree.Element, skip Session) {
	for _, e := range r.available(bare) {
		if e.s != skip {
			_ = e.s.Deliver(withTo(el, e.s.JID()))
		}
	}
}

// toOnlineBefore sends a contact's presence change, made at turn, to the
// available sessions of bare that came online before it. Those that came
// online after it had it in the answer to their probe (sendPresenceOf).
func (r *Router) toOnlineBefore(bare string, el *etree.Element, turn uint64) {
	for _, e := range r.available(bare) {
		if e.since < turn {
			_ = e.s.Deliver(withTo(el, e.s.JID()))
		}
	}
}

// sendPresenceOf sends s, which came online at turn since, the current
// presence of each available resource of contact (the answer to a
// probe), when that presence is older than s. A newer one reached s by
// the contact's own broadcast (toOnlineBefore).
func (r *Router) sendPresenceOf(contact string, s Session, since uint64) {
	for _, e := range r.available(contact) {
		if e.presence != nil && e.changed < since {
			_ = s.Deliver(withTo(e.presence, s.JID()))
		}
	}
}

// sendOwnResources tells a session that just became available about the
// user's other available resources.
func (r *Router) sendOwnResources(s Session) {
	for _, e := range r.available(bareOf(s.JID())) {
		if e.s != s && e.presence != nil {
			_ = s.Deliver(withTo(e.presence, s.JID()))
		}
	}
}

// broadcastUnavailable announces that a session went away, for any reason.
func (r *Router) broadcastUnavailable(e *entry) {
	el := etree.NewElement("presence")
	el.CreateAttr("from", e.s.JID())
	el.CreateAttr("type", "unavailable")
	owner := r.localOf(bareOf(e.s.JID()))
	items, _, err := r.data.Roster(owner)
	if err != nil {
		r.log.Error().Err(err).Str("account", owner).Msg("reading the roster failed")
	}
	sent := map[string]bool{}
	for _, it := range items {
		if it.Subscription == store.SubFrom || it.Subscription == store.SubBoth {
			r.toAvailable(it.JID, el, nil)
			sent[it.JID] = true
		}
	}
	r.toAvailable(bareOf(e.s.JID()), el, e.s)
	for jid := range e.directed {
		if !sent[bareOf(jid)] {
			r.deliverPresence(jid, el)
		}
	}
}

// unavailableTo tells contact's sessions that every resource of owner is
// gone, after a subscription was cancelled.
func (r *Router) unavailableTo(ownerBare, contact string) {
	for _, e := range r.available(ownerBare) {
		el := etree.NewElement("presence")
		el.CreateAttr("from", e.s.JID())
		el.CreateAttr("to", contact)
		el.CreateAttr("type", "unavailable")
		r.toAvailable(contact, el, nil)
	}
}

func priorityOf(el *etree.Element) int {
	p := el.SelectElement("priority")
	if p == nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(p.Text()))
	if err != nil || n < -128 || n > 127 {
		return 0
	}
	return n
}

// withTo returns a copy of a presence addressed to jid.
func withTo(el *etree.Element, jid string) *etree.Element {
	c := el.Copy()
	if a := c.SelectAttr("to"); a != nil {
		a.Value = jid
	} else {
		c.CreateAttr("to", jid)
	}
	return c
}

// lockAccount serializes the presence changes of one account.
func (r *Router) lockAccount(bare string) (unlock func()) {
	v, ok := r.accountLocks.Load(bare)
	if !ok { // allocate only the first time an account is seen
		v, _ = r.accountLocks.LoadOrStore(bare, &sync.Mutex{})
	}
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}
