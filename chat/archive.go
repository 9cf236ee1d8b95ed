package chat

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// NSStanzaID is XEP-0359's namespace: the archive ID the server puts on a
// message it archived.
const NSStanzaID = "urn:xmpp:sid:0"

// StampStanzaID adds the XEP-0359 <stanza-id/> that archive by gave el
// (an account's or a room's), in the decimal form queries use.
func StampStanzaID(el *etree.Element, by string, id uint64) {
	sid := el.CreateElement("stanza-id")
	sid.Attr = make([]etree.Attr, 0, 3) // one array, not three
	sid.CreateAttr("xmlns", NSStanzaID)
	sid.CreateAttr("by", by)
	sid.CreateAttr("id", strconv.FormatUint(id, 10))
}

// Archiver keeps the messages the router accepts between two accounts
// (XEP-0313; package mam implements it). The router calls Archive before
// it delivers a message, so that the archive entry is queued before the
// recipient can read the message (a client that queries its archive
// right after a message arrived finds it there), and Withdraw when the
// message was not accepted after all (offline storage full): a refused
// message is not archived, and one stored offline carries the same
// stanza-id as its archived copy.
type Archiver interface {
	// Archive is given a message from the full JID from to the bare JID
	// to of a local account. When the message is one to archive (in
	// either account's archive) it queues it, adds the recipient's
	// XEP-0359 <stanza-id/> to el if the recipient's archive keeps it,
	// and returns what Withdraw takes; else false, and el is untouched.
	// It runs on the sender's goroutine and must not block for long.
	Archive(el *etree.Element, from, to string) (ArchiveTicket, bool)
	// Withdraw takes an archived message out again (it was refused).
	Withdraw(t ArchiveTicket)
}

// ArchiveTicket is an archived message: its archive ID, its two parties,
// and which of their archives keep it (their preferences decided): what
// Withdraw needs.
type ArchiveTicket struct {
	ID uint64
	// From is the sender's full JID, To the recipient's bare JID (whose
	// archive it is), With the recipient as the message addressed it.
	From, To, With   string
	KeepFrom, KeepTo bool
}

// stripStanzaIDs removes the XEP-0359 <stanza-id/> elements a client put
// in its message in the name of this server or of an entity on it (an
// account, a room): only the server writes those (XEP-0359 §3.1), and a
// client must not make a message look archived. A message without
// children of that name costs one walk of its children.
func (r *Router) stripStanzaIDs(el *etree.Element) {
	var spoofed []*etree.Element
	for _, c := range el.ChildElements() {
		if by, ok := StanzaIDBy(c); ok && r.ours(by) {
			spoofed = append(spoofed, c)
		}
	}
	for _, c := range spoofed {
		el.RemoveChild(c)
	}
}

// StanzaIDBy reports whether c is a XEP-0359 <stanza-id/> (by its name and
// resolved namespace, so a prefixed one counts too) and returns the entity
// its by names. Whoever strips forged IDs (the router for accounts and
// components, a room for itself) asks this, and then whether by is its own.
func StanzaIDBy(c *etree.Element) (by string, ok bool) {
	if c.Tag != "stanza-id" || c.NamespaceURI() != NSStanzaID {
		return "", false
	}
	return c.SelectAttrValue("by", ""), true
}

// ours reports whether jid is this server, one of its components, or an
// entity on either.
func (r *Router) ours(jid string) bool {
	bare, _ := split(jid)
	_, domain, ok := strings.Cut(bare, "@")
	if !ok {
		domain = bare
	}
	if domain == r.domain {
		return true
	}
	return r.component(domain) != nil
}
