package mam

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stream"
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
	// Serialized here, before the stamp (the archive keeps the message
	// as it was sent), on the sender's goroutine: the writer, one
	// goroutine for every sender, is left the store's work, and the
	// queue holds bytes, which the collector does not scan.
	t.To = to
	t.With = with
	t.ID, _ = s.w.put(job{ticket: t, stanza: stream.Marshal(el)}, true)
	if t.KeepTo {
		chat.StampStanzaID(el, to, t.ID)
	}
	return t, true
}

// Withdraw implements chat.Archiver: the writer takes the message out of
// the archives it went into (queued after it, so in that order).
func (s *Service) Withdraw(t chat.ArchiveTicket) { s.w.put(job{ticket: t, withdraw: true}, false) }

// Append queues stanza for owner's archive (a room's: preferences are not
// consulted) as a message with the JID with, and returns its ID for the
// <stanza-id/> the owner puts on it.
func (s *Service) Append(owner, with string, stanza []byte) uint64 {
	id, _ := s.w.put(job{owner: owner, ticket: chat.ArchiveTicket{From: with}, stanza: stanza}, true)
	return id
}

// normalJID is a JID as the archive stores and compares it: the bare part
// in lower case (the router's comparison), the resource as it is.
func normalJID(jid string) string {
	bare, res, ok := strings.Cut(jid, "/")
	lower := strings.ToLower(bare)
	switch {
	case lower == bare:
		return jid // no copy
	case !ok:
		return lower
	}
	return lower + "/" + res
}
