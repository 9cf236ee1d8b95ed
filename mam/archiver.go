package mam

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"jabberd/chat"
)

// idSource hands out archive IDs: microseconds since 1970, strictly
// increasing (past the last one stored, even if the clock goes back), so
// that an ID is unique in every archive and a time filter is a key range.
type idSource struct{ last atomic.Uint64 }

func (g *idSource) next() uint64 {
	now := uint64(max(time.Now().UnixMicro(), 0))
	for {
		last := g.last.Load()
		id := max(now, last+1)
		if g.last.CompareAndSwap(last, id) {
			return id
		}
	}
}

// FormatID is an archive ID as the wire carries it (XEP-0359 id, XEP-0313
// result id, RSM first/last).
func FormatID(id uint64) string { return strconv.FormatUint(id, 10) }

// ParseID reads what FormatID wrote; false for anything else (no message
// has that ID).
func ParseID(s string) (uint64, bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil && id != 0
}

// archivable: XEP-0313 §5.1.1 — messages with a body; chat and normal
// ones (groupchat is the room's to archive, and the router asks only
// about messages between accounts).
func archivable(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "body" && (c.Space == "" || c.NamespaceURI() == "jabber:client") {
			return true
		}
	}
	return false
}

// Archive implements chat.Archiver.
func (s *Service) Archive(el *etree.Element, from, to string) (chat.ArchiveTicket, bool) {
	if !archivable(el) {
		return chat.ArchiveTicket{}, false
	}
	// The sender's archive names the recipient as addressed (a resource
	// too); the recipient's archive is that of its bare JID.
	with := normalJID(el.SelectAttrValue("to", to))
	from, to = normalJID(from), normalJID(to)
	sender := chat.Bare(from)
	t := chat.ArchiveTicket{From: from}
	t.KeepTo = s.keeps(to, sender)
	t.KeepFrom = sender != to && s.isLocal(sender) && s.keeps(sender, to)
	if !t.KeepTo && !t.KeepFrom {
		return chat.ArchiveTicket{}, false
	}
	// The writer serializes a copy, away from the sender's goroutine: a
	// copy shares the text (Go strings), so it costs a few allocations
	// where serializing a large message would cost its size.
	msg := el.Copy()
	t.To = to
	t.With = with
	s.queueMu.Lock()
	t.ID = s.ids.next()
	s.w.put(job{ticket: t, msg: msg})
	s.queueMu.Unlock()
	if t.KeepTo {
		chat.StampStanzaID(el, to, t.ID)
	}
	return t, true
}

// Withdraw implements chat.Archiver: the writer takes the message out of
// the archives it went into (queued after it, so in that order).
func (s *Service) Withdraw(t chat.ArchiveTicket) { s.w.put(job{ticket: t, withdraw: true}) }

// Append queues msg for owner's archive (a room's: preferences are not
// consulted) as a message with the JID with, and returns its ID for the
// <stanza-id/> the owner puts on it. The writer serializes msg: the
// caller passes a copy it no longer touches.
func (s *Service) Append(owner, with string, msg *etree.Element) uint64 {
	s.queueMu.Lock()
	defer s.queueMu.Unlock()
	id := s.ids.next()
	s.w.put(job{owner: owner, ticket: chat.ArchiveTicket{ID: id, From: with}, msg: msg})
	return id
}

// normalJID is a JID as the archive stores and compares it: the bare part
// in lower case (the router's comparison), the resource as it is.
func normalJID(jid string) string {
	bare, res, ok := strings.Cut(jid, "/")
	bare = strings.ToLower(bare)
	if !ok {
		return bare
	}
	return bare + "/" + res
}
