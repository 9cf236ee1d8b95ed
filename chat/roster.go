package chat

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"jabberd/accounts"
	"jabberd/stanza"
	"jabberd/store"
)

// NSRoster is jabber:iq:roster (RFC 6121 §2).
const NSRoster = "jabber:iq:roster"

// rosterIQ answers roster get and set from a session of owner.
func (r *Router) rosterIQ(from Session, el, q *etree.Element) {
	owner := r.localOf(bareOf(from.JID()))
	switch el.SelectAttrValue("type", "") {
	case "get":
		r.rosterGet(from, el, q, owner)
	case "set":
		r.rosterSet(from, el, q, owner)
	default:
		r.bounce(from, el, stanza.ErrBadRequest)
	}
}

func (r *Router) rosterGet(from Session, el, q *etree.Element, owner string) {
	items, ver, err := r.data.Roster(owner)
	if err != nil {
		r.log.Error().Err(err).Str("account", owner).Msg("reading the roster failed")
		r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error"})
		return
	}
	r.mu.Lock()
	if e := r.entryOf(from); e != nil {
		e.roster = true
	}
	r.mu.Unlock()
	res := resultTo(el, from.JID())
	current := strconv.FormatUint(ver, 10)
	if v := q.SelectAttr("ver"); v != nil && v.Value == current {
		// XEP-0237 / RFC 6121 §2.6.3: the client's copy is current.
		_ = from.Deliver(res)
		return
	}
	rq := res.CreateElement("query")
	rq.CreateAttr("xmlns", NSRoster)
	rq.CreateAttr("ver", current)
	for _, it := range items {
		if !it.Hidden {
			rq.AddChild(itemElement(it))
		}
	}
	_ = from.Deliver(res)
}

func (r *Router) rosterSet(from Session, el, q *etree.Element, owner string) {
	items := q.SelectElements("item")
	if len(items) != 1 {
		r.bounce(from, el, stanza.ErrBadRequest.WithText("a roster set carries exactly one item"))
		return
	}
	it := items[0]
	jid, err := r.contactJID(it.SelectAttrValue("jid", ""))
	if err != nil {
		r.bounce(from, el, stanza.ErrBadRequest.WithText(err.Error()))
		return
	}
	if jid == bareOf(from.JID()) {
		r.bounce(from, el, stanza.ErrNotAllowed.WithText("the roster holds contacts, not the account itself"))
		return
	}
	if it.SelectAttrValue("subscription", "") == "remove" {
		r.rosterRemove(from, el, owner, jid)
		return
	}
	var groups []string
	seen := map[string]bool{}
	for _, g := range it.SelectElements("group") {
		name := strings.TrimSpace(g.Text())
		switch {
		case name == "":
			r.bounce(from, el, notAcceptable("a group name must not be empty"))
			return
		case len(name) > 1023:
			r.bounce(from, el, notAcceptable("a group name is longer than 1023 bytes"))
			return
		case seen[name]:
			r.bounce(from, el, stanza.ErrBadRequest.WithText("the group "+strconv.Quote(name)+" is given twice"))
			return
		}
		seen[name] = true
		groups = append(groups, name)
	}
	name := it.SelectAttrValue("name", "")
	if len(name) > 1023 {
		r.bounce(from, el, notAcceptable("the name is longer than 1023 bytes"))
		return
	}
	if cur, found, err := r.data.RosterItem(owner, jid); err == nil && (!found || cur.Hidden) {
		if all, _, err := r.data.Roster(owner); err == nil && len(all) >= r.opt.MaxRosterItems {
			r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint",
				Text: "the roster holds " + strconv.Itoa(r.opt.MaxRosterItems) + " items, the most this server keeps"})
			return
		}
	}
	// RFC 6121 §2.1.2.5: a 'subscription' other than remove is ignored,
	// and 'ask' is the server's to set.
	r.update(owner, jid, func(cur store.RosterItem, _ bool) store.RosterItem {
		cur.Name, cur.Groups, cur.Hidden = name, groups, false
		return cur
	})
	_ = from.Deliver(resultTo(el, from.JID()))
}

// rosterRemove removes a contact, cancelling subscriptions both ways on the
// user's behalf (RFC 6121 §2.5.2).
func (r *Router) rosterRemove(from Session, el *etree.Element, owner, jid string) {
	cur, found, err := r.data.RosterItem(owner, jid)
	if err != nil || !found || cur.Hidden {
		r.bounce(from, el, stanza.Error{Code: "404", Type: "cancel", Condition: "item-not-found"})
		return
	}
	if cur.Subscription == store.SubTo || cur.Subscription == store.SubBoth || cur.Ask {
		r.subscription(from, presenceOfType("unsubscribe"), "unsubscribe", jid)
	}
	if cur.Subscription == store.SubFrom || cur.Subscription == store.SubBoth || cur.PendingIn {
		r.subscription(from, presenceOfType("unsubscribed"), "unsubscribed", jid)
	}
	_, _, ver, err := r.data.UpdateRosterItem(owner, jid, func(store.RosterItem, bool) (store.RosterItem, bool) {
		return store.RosterItem{}, false
	})
	if err != nil {
		r.log.Error().Err(err).Str("account", owner).Msg("removing a roster item failed")
	}
	_ = from.Deliver(resultTo(el, from.JID()))
	r.push(owner, store.RosterItem{JID: jid, Subscription: "remove"}, ver)
}

// push sends a roster push to every session of owner that asked for the
// roster (RFC 6121 §2.1.6).
func (r *Router) push(owner string, it store.RosterItem, ver uint64) {
	for i, s := range r.withRoster(owner + "@" + r.domain) {
		iq := etree.NewElement("iq")
		iq.CreateAttr("id", "push-"+strconv.FormatUint(ver, 10)+"-"+strconv.Itoa(i))
		iq.CreateAttr("type", "set")
		iq.CreateAttr("to", s.JID())
		q := iq.CreateElement("query")
		q.CreateAttr("xmlns", NSRoster)
		q.CreateAttr("ver", strconv.FormatUint(ver, 10))
		q.AddChild(itemElement(it))
		_ = s.Deliver(iq)
	}
}

func itemElement(it store.RosterItem) *etree.Element {
	x := etree.NewElement("item")
	x.CreateAttr("jid", it.JID)
	if it.Name != "" {
		x.CreateAttr("name", it.Name)
	}
	sub := string(it.Subscription)
	if sub == "" {
		sub = "none"
	}
	x.CreateAttr("subscription", sub)
	if it.Ask {
		x.CreateAttr("ask", "subscribe")
	}
	for _, g := range it.Groups {
		x.CreateElement("group").SetText(g)
	}
	return x
}

// contactJID validates and prepares the bare JID of a roster item.
func (r *Router) contactJID(jid string) (string, error) {
	if jid == "" {
		return "", errorString("the item has no jid")
	}
	if strings.Contains(jid, "/") {
		return "", errorString("a roster item is a bare JID, without a resource")
	}
	local, domain, ok := strings.Cut(jid, "@")
	if !ok {
		return strings.ToLower(jid), nil // a server or service JID
	}
	p, err := accounts.PrepareUsername(local)
	if err != nil || domain == "" {
		return "", errorString("the jid " + strconv.Quote(jid) + " is not valid")
	}
	return p + "@" + strings.ToLower(domain), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// notAcceptable is a not-acceptable stanza error with text.
func notAcceptable(text string) stanza.Error {
	return stanza.Error{Code: "406", Type: "modify", Condition: "not-acceptable", Text: text}
}

func presenceOfType(typ string) *etree.Element {
	el := etree.NewElement("presence")
	el.CreateAttr("type", typ)
	return el
}

// resultTo builds an empty result for el, addressed to jid.
func resultTo(el *etree.Element, jid string) *etree.Element {
	r := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		r.CreateAttr("id", id.Value)
	}
	r.CreateAttr("type", "result")
	r.CreateAttr("to", jid)
	return r
}
