package chat

import (
	"errors"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// Namespaces of XEP-0191 Blocking Command.
const (
	NSBlocking       = "urn:xmpp:blocking"
	NSBlockingErrors = "urn:xmpp:blocking:errors"
)

// BlockData is the store's side of XEP-0191 (*store.DB implements it); a
// Data without it offers no blocking.
type BlockData interface {
	Blocklist(owner string) ([]string, error)
	UpdateBlocklist(owner string, fn func([]string) ([]string, error)) error
}

var errTooMany = errors.New("blocklist full")

func (r *Router) blockData() BlockData {
	bd, _ := r.data.(BlockData)
	return bd
}

// normalJID lower-cases the bare part of a JID (local parts are
// case-mapped, domains case-insensitive); the resource is kept.
func normalJID(jid string) string {
	bare, res, full := strings.Cut(jid, "/")
	if full {
		return strings.ToLower(bare) + "/" + res
	}
	return strings.ToLower(bare)
}

// blocks reports whether the account local blocks jid (XEP-0191 §3.3
// matching: the full JID, its bare JID, its domain, or domain/resource).
func (r *Router) blocks(local, jid string) bool {
	bd := r.blockData()
	if bd == nil || local == "" || jid == "" {
		return false
	}
	list, err := r.blocklist(bd, local)
	if err != nil {
		r.log.Error().Err(err).Str("account", local).Msg("reading the blocklist failed")
		return false
	}
	return matchesBlock(list, jid)
}

func matchesBlock(list []string, jid string) bool {
	if len(list) == 0 {
		return false
	}
	bare, res := split(jid)
	domain := bare
	if _, d, ok := strings.Cut(bare, "@"); ok {
		domain = d
	}
	full := bare
	if res != "" {
		full = bare + "/" + res
	}
	for _, it := range list {
		if it == full || it == bare || it == domain || (res != "" && it == domain+"/"+res) {
			return true
		}
	}
	return false
}

// blockedBetween: presence or a stanza from fromJID to toJID is stopped
// because either account blocks the other.
func (r *Router) blockedBetween(fromJID, toJID string) (byRecipient, bySender bool) {
	if r.blockData() == nil {
		return false, false
	}
	byRecipient = r.blocks(r.localOf(bareOf(toJID)), fromJID)
	bySender = r.blocks(r.localOf(bareOf(fromJID)), toJID)
	return byRecipient, bySender
}

// Blocked reports whether either of two JIDs' accounts blocks the other
// (XEP-0191): what the server sends on one's behalf (PEP notifications)
// does not go to the other.
func (r *Router) Blocked(a, b string) bool {
	x, y := r.blockedBetween(a, b)
	return x || y
}

// enforceBlocks stops a stanza between a user and someone either of them
// blocks (XEP-0191 §3.3): the sender's own block is answered with
// not-acceptable and <blocked/>, the recipient's with service-unavailable
// (for messages and IQ requests); presence is dropped. It reports whether
// el was stopped.
func (r *Router) enforceBlocks(from Session, el *etree.Element, to string) bool {
	if to == "" || r.blockData() == nil {
		return false
	}
	byRecipient, bySender := r.blockedBetween(from.JID(), to)
	if !byRecipient && !bySender {
		return false
	}
	if el.Tag == "presence" {
		return true
	}
	if typ := el.SelectAttrValue("type", ""); el.Tag == "iq" && typ != "get" && typ != "set" {
		return true
	}
	if bySender {
		reply := stanza.ErrorReply(el, stanza.Error{Code: "406", Type: "cancel", Condition: "not-acceptable"})
		if e := reply.SelectElement("error"); e != nil {
			e.CreateElement("blocked").CreateAttr("xmlns", NSBlockingErrors)
		}
		if reply.SelectAttr("from") == nil {
			reply.CreateAttr("from", r.domain)
		}
		_ = from.Deliver(reply)
		return true
	}
	r.bounce(from, el, stanza.ErrServiceUnavailable)
	return true
}

// blockingIQ answers XEP-0191 requests: the blocklist, block, unblock.
func (r *Router) blockingIQ(from Session, el, q *etree.Element) {
	bd := r.blockData()
	local := r.localOf(bareOf(from.JID()))
	typ := el.SelectAttrValue("type", "")
	switch {
	case bd == nil || local == "":
		r.bounce(from, el, stanza.ErrServiceUnavailable)
	case typ == "get" && q.Tag == "blocklist":
		r.sendBlocklist(from, el, bd, local)
	case typ == "set" && (q.Tag == "block" || q.Tag == "unblock"):
		r.changeBlocklist(from, el, q, bd, local)
	default:
		r.bounce(from, el, stanza.ErrBadRequest)
	}
}

// sendBlocklist answers a blocklist get, and marks the session as one that
// asked (it gets pushes from now on).
func (r *Router) sendBlocklist(from Session, el *etree.Element, bd BlockData, local string) {
	list, err := r.blocklist(bd, local)
	if err != nil {
		r.log.Error().Err(err).Str("account", local).Msg("reading the blocklist failed")
		r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error"})
		return
	}
	r.mu.Lock()
	if e := r.entryOf(from); e != nil {
		e.blocklist = true
	}
	r.mu.Unlock()
	res := r.reply(el, from)
	bl := res.CreateElement("blocklist")
	bl.CreateAttr("xmlns", NSBlocking)
	for _, jid := range list {
		bl.CreateElement("item").CreateAttr("jid", jid)
	}
	_ = from.Deliver(res)
}

// changeBlocklist applies a block or an unblock, answers, and pushes the
// change to the account's sessions.
func (r *Router) changeBlocklist(from Session, el, q *etree.Element, bd BlockData, local string) {
	var items []string
	for _, it := range q.SelectElements("item") {
		jid := normalJID(strings.TrimSpace(it.SelectAttrValue("jid", "")))
		if jid == "" || strings.ContainsAny(jid, " \t<>'\"") {
			r.bounce(from, el, stanza.Error{Code: "400", Type: "modify", Condition: "jid-malformed"})
			return
		}
		items = append(items, jid)
	}
	if q.Tag == "block" && len(items) == 0 {
		r.bounce(from, el, stanza.ErrBadRequest.WithText("block at least one JID"))
		return
	}
	var next []string
	err := bd.UpdateBlocklist(local, func(cur []string) ([]string, error) {
		var err error
		next, err = r.blocklistAfter(q.Tag, cur, items)
		return next, err
	})
	if err == nil {
		r.blockLists.lists.Add(local, next)
	}
	switch {
	case errors.Is(err, errTooMany):
		r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint",
			Text: "at most " + strconv.Itoa(r.opt.MaxBlocklistItems) + " blocked JIDs"})
		return
	case err != nil:
		r.log.Error().Err(err).Str("account", local).Msg("writing the blocklist failed")
		r.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error"})
		return
	}
	_ = from.Deliver(r.reply(el, from))
	if q.Tag == "block" {
		r.unavailableToBlocked(from, items)
	}
	r.pushBlocklist(bareOf(from.JID()), q.Tag, items)
}

// blocklistAfter is cur after a block or an unblock of items (an unblock of
// nothing empties it), bounded by MaxBlocklistItems.
func (r *Router) blocklistAfter(tag string, cur, items []string) ([]string, error) {
	if tag == "unblock" {
		if len(items) == 0 {
			return nil, nil
		}
		out := cur[:0:0]
		for _, c := range cur {
			if !contains(items, c) {
				out = append(out, c)
			}
		}
		return out, nil
	}
	out := append([]string(nil), cur...)
	for _, it := range items {
		if !contains(out, it) {
			out = append(out, it)
		}
	}
	if len(out) > r.opt.MaxBlocklistItems {
		return nil, errTooMany
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pushBlocklist tells the account's sessions that fetched the blocklist
// what changed (XEP-0191 §3.2, §3.4).
func (r *Router) pushBlocklist(bare, tag string, items []string) {
	r.mu.Lock()
	var to []Session
	for _, e := range r.byBare[bare] {
		if e.blocklist {
			to = append(to, e.s)
		}
	}
	r.mu.Unlock()
	for _, s := range to {
		iq := etree.NewElement("iq")
		iq.CreateAttr("type", "set")
		iq.CreateAttr("id", "block-push")
		iq.CreateAttr("to", s.JID())
		p := iq.CreateElement(tag)
		p.CreateAttr("xmlns", NSBlocking)
		for _, it := range items {
			p.CreateElement("item").CreateAttr("jid", it)
		}
		_ = s.Deliver(iq)
	}
}

// unavailableToBlocked: the blocked contacts of this server stop seeing
// the user's resources (XEP-0191 §3.3.1).
func (r *Router) unavailableToBlocked(from Session, items []string) {
	for _, e := range r.available(bareOf(from.JID())) {
		for _, jid := range items {
			if r.localOf(bareOf(jid)) == "" {
				continue
			}
			el := etree.NewElement("presence")
			el.CreateAttr("from", e.s.JID())
			el.CreateAttr("to", jid)
			el.CreateAttr("type", "unavailable")
			r.deliverPresence(jid, el)
		}
	}
}
