// Package mam is XEP-0313 Message Archive Management for the server's
// accounts: every chat or normal message with a body that the router
// accepts between two accounts (delivered live, or stored offline) goes to
// both accounts' archives under one ID, which the recipient sees as the
// message's XEP-0359 <stanza-id/>; an account queries its archive with
// XEP-0004 form filters (with, start, end, and the #extended after-id,
// before-id, ids) and XEP-0059 paging, and sets its archiving preferences.
//
// # Archives of other owners
//
// The store keys an archive by an owner JID (store.AppendArchive,
// store.QueryArchive), and this service does not assume the owner is an
// account: a multi-user chat room archives with Append(roomJID, with,
// copy of the message), which hands out the ID for the room's <stanza-id by=roomJID/>
// and goes through the same batching writer, and answers a query sent to
// the room with Answer(session, iq, query, roomJID) once it has decided
// that the sender may read the room's archive. Preferences apply only to
// accounts (an owner on the server's own domain).
//
// # Writes, and what a crash can lose
//
// Archiving is off the hot path: Archive serializes the message (the
// sender's goroutine pays for its own message) and queues the bytes, and
// one writer goroutine commits whatever is queued in one bbolt
// transaction (up to batchMax messages or batchBytes), so a burst costs
// one fsync per batch, not per message, and no transaction holds bbolt's
// one writer lock (which offline storage also needs) for long. The queue
// (queueLen entries, queueBytes of stanzas) is large enough to outlast a
// slow fsync at the rates the server carries: a sender waits for the
// disk only when the disk is behind by more than that. Ordering: the
// router queues a message's archive entry before
// it delivers the message (to a session, or to offline storage in its own
// transaction), and queues a withdrawal after it when the message was
// refused (offline storage full), which the writer applies in queue
// order. A query waits for everything queued before it (flush), so an
// account always finds in its archive what it was sent before it asked.
// Shutdown (Close) drains the queue. Archive entries can be lost two
// ways: a crash of the process loses those queued and not yet committed
// (what arrived during the last fsync, at most queueLen entries and the
// batch being committed), and a batch the store fails to commit (a full disk, a
// damaged database) is dropped with an error in the log; the messages
// themselves were delivered or stored in their own transactions, so
// nothing accepted is lost, at worst missing from the archive. Deleting an
// archive (Delete: an account deleted, a room gone or made) is a job on
// the same queue, after the owner's entries queued before it, so none of
// them makes the archive again, and the caller waits for no I/O. An
// idle session costs nothing: the service keeps no per-session state.
package mam

import (
	"strings"
	"time"

	"github.com/beevik/etree"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

// Namespaces of XEP-0313, XEP-0059 and XEP-0004.
const (
	NS         = "urn:xmpp:mam:2"
	NSExtended = "urn:xmpp:mam:2#extended"
	NSRSM      = "http://jabber.org/protocol/rsm"
	NSData     = "jabber:x:data"
)

// Store is the archive's storage (*store.DB implements it).
type Store interface {
	AppendArchive(writes []store.ArchiveWrite, max int) error
	QueryArchive(owner string, q store.ArchiveQuery) (store.ArchivePage, error)
	ExpireArchive(before time.Time) (int, error)
	DeleteArchive(owner string) error
	LastArchiveID() (uint64, error)
	ArchivePrefs(owner string) (store.ArchivePrefs, bool, error)
	SetArchivePrefs(owner string, p store.ArchivePrefs) error
	RosterItem(owner, jid string) (store.RosterItem, bool, error)
}

// Options configure the service.
type Options struct {
	// Domain is the server's domain: its accounts' archives are here.
	Domain string
	Store  Store
	// MaxMessages bounds an archive (chat.archive_max_messages): past it
	// the oldest messages go.
	MaxMessages int
	// Retention is how long a message is kept (chat.archive_retention; 0:
	// until MaxMessages pushes it out).
	Retention time.Duration
	// MaxPage bounds the messages of one answer (chat.archive_max_page):
	// a client asking for more gets this many, and pages on.
	MaxPage int
	// MaxPrefsJIDs bounds the always and never lists of an account's
	// preferences together (chat.archive_max_prefs_jids).
	MaxPrefsJIDs int
	Log          zerolog.Logger
}

// Service archives messages and answers urn:xmpp:mam:2 requests.
type Service struct {
	opt    Options
	domain string
	ids    idSource // handed out under the writer's queue lock
	w      *writer
	// prefs: account bare JID → its preferences, so that routing a
	// message reads the store once per account in a while.
	prefs *lru.Cache[string, store.ArchivePrefs]
}

// New starts the service's writer (and the expiry when Retention is set).
// Close stops them.
func New(opt Options) (*Service, error) {
	last, err := opt.Store.LastArchiveID()
	if err != nil {
		return nil, err
	}
	prefs, err := lru.New[string, store.ArchivePrefs](4096)
	if err != nil {
		return nil, err
	}
	s := &Service{opt: opt, domain: strings.ToLower(opt.Domain), prefs: prefs}
	s.ids.last.Store(last)
	s.w = startWriter(s)
	return s, nil
}

// Close drains the queue into the store and stops the writer: call it
// after the server stopped routing, before the store closes.
func (s *Service) Close() { s.w.close() }

// Flush waits until every message queued before it is in the store.
func (s *Service) Flush() { s.w.flush() }

// Features implements chat.IQHandler: the server's disco#info lists MAM
// too (profanity looks there).
func (s *Service) Features() []string { return []string{NS, NSExtended} }

// AccountFeatures implements chat.AccountFeaturer: XEP-0313 §7.
func (s *Service) AccountFeatures() []string { return []string{NS, NSExtended} }

// HandleIQ implements chat.IQHandler: queries, the query form and the
// preferences of the sender's own archive.
func (s *Service) HandleIQ(from chat.Session, el, q *etree.Element, to string) bool {
	if q.NamespaceURI() != NS || (q.Tag != "query" && q.Tag != "prefs") {
		return false
	}
	own := chat.Bare(from.JID())
	if to == s.domain {
		return false // the server keeps no archive of its own
	}
	if to != own {
		chat.IQError(from, el, to, stanza.ErrForbidden.WithText("only your own archive can be read"))
		return true
	}
	typ := el.SelectAttrValue("type", "")
	switch {
	case q.Tag == "query" && typ == "get":
		s.Form(from, el)
	case q.Tag == "query":
		s.Answer(from, el, q, own)
	case typ == "get":
		s.getPrefs(from, el, own)
	default:
		s.setPrefs(from, el, q, own)
	}
	return true
}

// Forget drops what the service remembers of an account (it was
// deleted; its archive goes with Delete).
func (s *Service) Forget(bare string) { s.prefs.Remove(bare) }

// Delete queues the deletion of owner's archive and preferences (a
// deleted account, a room gone): the writer applies it after the entries
// queued before it, so none of them makes the archive again, and before
// those of a new owner of the same name. It waits for no I/O: a caller
// may hold its own locks.
func (s *Service) Delete(owner string) { s.w.put(job{owner: owner, drop: true}, false) }

// isLocal reports whether owner is an account of this server.
func (s *Service) isLocal(owner string) bool {
	return chat.LocalPart(owner, s.domain) != ""
}
