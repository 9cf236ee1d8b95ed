package muc

import (
	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/stream"
)

// The room's message archive (XEP-0313 on the room, §6 of XEP-0313): a
// logged room puts every groupchat message with a body in the server's
// archive under the room's JID, stamps the copies it relays with that
// archive's XEP-0359 <stanza-id by='room'/>, tells joiners so (status 170),
// lists urn:xmpp:mam:2 in its disco#info, and answers queries to the room's
// JID from those who may read it.

// NSMAM is XEP-0313's namespace.
const NSMAM = "urn:xmpp:mam:2"

// RoomArchive is the server's message archive as rooms use it;
// *mam.Service implements it. IDs are written in decimal, as the archive
// writes them.
type RoomArchive interface {
	// Append queues a message (serialized) for owner's archive, as sent
	// by with, and returns its ID.
	Append(owner, with string, stanza []byte) uint64
	// Answer runs the query q of IQ el over owner's archive, sending the
	// results and the IQ result to from.
	Answer(from chat.Session, el, q *etree.Element, owner string)
	// Form answers a get of the query form.
	Form(from chat.Session, el *etree.Element)
	// Features are the archive's disco features.
	Features() []string
	// Delete queues the deletion of owner's archive, after what was
	// appended to it before and before what is appended after; it waits
	// for no I/O (the service's lock is held).
	Delete(owner string)
}

// logged reports whether the room archives its messages.
func (r *Room) logged() bool { return r.s.opt.Archive != nil && r.cfg.Logged }

// archive puts out (a groupchat message as relayed: from the sender's
// occupant JID, no to) in the room's archive and stamps it with its ID
// (r.mu held).
func (r *Room) archive(out *etree.Element) {
	id := r.s.opt.Archive.Append(r.jid, out.SelectAttrValue("from", ""), stream.Marshal(out))
	chat.StampStanzaID(out, r.jid, id)
}

// ourStanzaID reports whether c is a <stanza-id/> in the room's name, which
// a sender may not forge: the room drops it from what it relays.
func (r *Room) ourStanzaID(c *etree.Element) bool {
	by, ok := chat.StanzaIDBy(c)
	return ok && bareOf(by) == r.jid
}

// mayReadArchive: an occupant may; otherwise anyone who could join without
// a password (not an outcast; a member of a members-only room).
func (r *Room) mayReadArchive(from string) bool {
	if r.byJID[from] != nil {
		return true
	}
	affil := r.affiliation(bareOf(from))
	switch {
	case affil == Outcast:
		return false
	case affilRank[affil] >= affilRank[Admin]:
		return true
	case r.cfg.PasswordProtected:
		return false
	case r.cfg.MembersOnly:
		return affilRank[affil] >= affilRank[Member]
	}
	return true
}

// mamQuery answers an XEP-0313 query to the room. The archive is read
// without the room's lock: a long answer holds up no one.
func (r *Room) mamQuery(from string, el, q *etree.Element, typ string) {
	r.mu.Lock()
	logged, may := r.logged(), r.mayReadArchive(from)
	r.mu.Unlock()
	switch {
	case !logged:
		r.s.bounce(from, el, stanza.ErrServiceUnavailable.WithText("this room keeps no archive"))
	case !may:
		r.s.bounce(from, el, ErrForbidden.WithText("you may not read this room's archive"))
	case typ == "get":
		r.s.opt.Archive.Form(reader{r.s, from}, el)
	case typ == "set":
		r.s.opt.Archive.Answer(reader{r.s, from}, el, q, r.jid)
	default:
		r.s.bounce(from, el, ErrBadRequest)
	}
}

// forgetArchive deletes a room's archive when the room goes away (a
// temporary room emptied, or a room destroyed), and before a new room
// logs (a temporary room's archive outlives it when the server crashed or
// was cut short before the deletion was written): a room made again with
// the same name does not show what was said in the old one. It only
// queues the deletion, behind the room's messages (s.mu held).
func (s *Service) forgetArchive(jid string) {
	if s.opt.Archive != nil {
		s.opt.Archive.Delete(jid)
	}
}

// reader is the querying session as the archive sees it: what it is sent
// goes through the service's router.
type reader struct {
	s   *Service
	jid string
}

func (q reader) JID() string { return q.jid }

func (q reader) Deliver(el *etree.Element) error {
	q.s.deliver(q.jid, el)
	return nil
}

func (q reader) Replace() {}
