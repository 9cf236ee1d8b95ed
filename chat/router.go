// Package session is the server above the streams: the table of bound
// sessions, and what happens to every stanza they send — routing to other
// sessions, offline storage, presence and subscriptions, rosters, and the
// IQs the server answers itself.
package chat

import (
	"strings"
	"sync"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/store"
)

// Session is a bound client stream as the router sees it.
type Session interface {
	// JID is the bound full JID.
	JID() string
	// Deliver writes el to the client. It is safe to call from any
	// goroutine. An error means the stanza did not reach the session's
	// socket (it is closing): the router then stores it, so nothing the
	// server accepted is lost.
	Deliver(el *etree.Element) error
	// Replace ends the session because a newer one bound the same JID.
	Replace()
}

// Data is what the router keeps across sessions: accounts, rosters and
// offline messages. *store.DB implements it.
type Data interface {
	Lookup(name string) (*accounts.Account, error)
	Roster(owner string) ([]store.RosterItem, uint64, error)
	RosterItem(owner, jid string) (store.RosterItem, bool, error)
	UpdateRosterItem(owner, jid string, fn func(store.RosterItem, bool) (store.RosterItem, bool)) (store.RosterItem, bool, uint64, error)
	StoreOffline(owner string, stanza []byte, quota int) error
	TakeOffline(owner string) ([]store.Offline, error)
}

// Options tune the router.
type Options struct {
	// OfflineQuota is the number of messages kept per offline user; past
	// it the sender gets service-unavailable.
	OfflineQuota int
	// Version is what jabber:iq:version reports.
	Version string
	// ExtraFeatures are disco#info features beyond the router's own (for
	// example jabber:iq:register when in-band registration is on).
	ExtraFeatures []string
	// MaxRosterItems bounds a roster (every item is stored and returned
	// with every roster get); 0 means 1000.
	MaxRosterItems int
	// Metrics counts routed stanzas and offline messages; nil counts
	// nothing.
	Metrics Metrics
	// MaxBlocklistItems bounds an account's XEP-0191 blocklist; 0 means
	// 1000.
	MaxBlocklistItems int
	// BlocklistCache is how many accounts' blocklists are kept in memory
	// (the least recently used go first); 0 means 10000.
	BlocklistCache int
	// Components are in-process services on their own domains (the
	// multi-user chat service): stanzas to them go to their Handle, and
	// they are listed in the server's disco#items.
	Components []Component
	// IQHandlers answer IQ requests in namespaces of their own for the
	// accounts (vcard-temp), in order; one that is a PresenceStamper also
	// adds to users' available presence.
	IQHandlers []IQHandler
	// Archiver keeps the chat messages between accounts (XEP-0313); nil
	// archives nothing.
	Archiver Archiver
}

// Metrics is what the router counts (package metrics implements it). A
// routed stanza costs one call, which must not allocate.
type Metrics interface {
	// Routed: a bound session sent a stanza and the router handled it.
	Routed()
	// OfflineStored: a message went to offline storage.
	OfflineStored()
	// OfflineDelivered: a message from offline storage reached a session.
	OfflineDelivered()
}

// Router is the table of bound sessions: bare JID → resource → entry.
type Router struct {
	domain string
	data   Data
	opt    Options
	log    zerolog.Logger
	// stampers are the IQ handlers that add to available presence.
	stampers []PresenceStamper
	// blockLists are the blocklists last used (XEP-0191).
	blockLists *blockCache

	mu     sync.Mutex
	byBare map[string]resources
	// turn numbers presence changes. With it a contact's presence reaches
	// a session once, by exactly one of two paths: the contact's broadcast
	// (for sessions that came online before the change) or the probe the
	// session makes at its initial presence (for changes before it came
	// online). Two contacts logging in together otherwise see each other
	// twice.
	turn uint64

	accountLocks sync.Map // bare JID → *sync.Mutex, see lockAccount
}

// entry is a bound session and its presence, as the server tracks it.
type entry struct {
	s         Session
	res       string         // the resource it is bound to
	available bool           // sent initial presence, not yet unavailable
	priority  int            // of the last available presence
	presence  *etree.Element // the last broadcast available presence
	since     uint64         // the turn of its initial presence
	changed   uint64         // the turn of its last presence change
	roster    bool           // requested the roster: gets roster pushes
	carbons   bool           // XEP-0280 enabled: gets copies of the account's chat messages
	blocklist bool           // fetched the XEP-0191 blocklist: gets its pushes
	directed  map[string]bool
}

// NewRouter returns an empty table for domain.
func NewRouter(domain string, data Data, opt Options, log zerolog.Logger) *Router {
	if opt.MaxRosterItems <= 0 {
		opt.MaxRosterItems = 1000
	}
	if opt.MaxBlocklistItems <= 0 {
		opt.MaxBlocklistItems = 1000
	}
	if opt.BlocklistCache <= 0 {
		opt.BlocklistCache = 10000
	}
	r := &Router{domain: strings.ToLower(domain), data: data, opt: opt, log: log, byBare: map[string]resources{},
		blockLists: newBlockCache(opt.BlocklistCache)}
	for _, c := range opt.Components {
		c.Attach(r)
	}
	for _, h := range opt.IQHandlers {
		if s, ok := h.(PresenceStamper); ok {
			r.stampers = append(r.stampers, s)
		}
		if u, ok := h.(RouterUser); ok {
			u.UseRouter(r)
		}
	}
	return r
}

// Bind registers s. A session already bound to the same full JID is
// replaced: the newer wins (RFC 6120 §7.7.2.2), and the older is told.
func (r *Router) Bind(s Session) {
	bare, res := split(s.JID())
	r.mu.Lock()
	old := r.byBare[bare].get(res)
	r.byBare[bare] = r.byBare[bare].put(&entry{s: s, res: res})
	r.mu.Unlock()
	if old != nil && old.s != s {
		old.s.Replace()
		r.gone(old.s.JID())
		// The replaced session's presence ends with it; its resource is
		// taken, so the unavailable goes out now, from the old entry.
		if old.available {
			r.broadcastUnavailable(old)
		}
	}
}

// Unbind removes s, unless a newer session has taken its place, and
// broadcasts its unavailable presence if it was available.
func (r *Router) Unbind(s Session) {
	bare, res := split(s.JID())
	r.mu.Lock()
	e := r.byBare[bare].get(res)
	if e == nil || e.s != s {
		r.mu.Unlock()
		return
	}
	if rest := r.byBare[bare].without(res); len(rest) > 0 {
		r.byBare[bare] = rest
	} else {
		delete(r.byBare, bare)
	}
	r.mu.Unlock()
	r.gone(s.JID())
	if e.available {
		r.broadcastUnavailable(e)
	}
}

// Lookup returns the session bound to a full JID.
func (r *Router) Lookup(full string) Session {
	bare, res := split(full)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.byBare[bare].get(res); e != nil {
		return e.s
	}
	return nil
}

// Resources returns the sessions bound for a bare JID.
func (r *Router) Resources(bare string) []Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.byBare[strings.ToLower(bare)]
	out := make([]Session, 0, len(m))
	for _, e := range m {
		out = append(out, e.s)
	}
	return out
}

// Count returns the number of bound sessions.
func (r *Router) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.byBare {
		n += len(m)
	}
	return n
}

// entryOf returns the entry of a bound session (nil if not bound). Call
// with r.mu held.
func (r *Router) entryOf(s Session) *entry {
	bare, res := split(s.JID())
	if e := r.byBare[bare].get(res); e != nil && e.s == s {
		return e
	}
	return nil
}

// available returns the available sessions of a bare JID with their
// presence, under the lock; the caller delivers without it.
func (r *Router) available(bare string) []*entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*entry
	for _, e := range r.byBare[bare] {
		if e.available {
			out = append(out, &entry{s: e.s, priority: e.priority, presence: e.presence, since: e.since, changed: e.changed, carbons: e.carbons})
		}
	}
	return out
}

// withRoster returns the sessions of bare that requested the roster.
func (r *Router) withRoster(bare string) []Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Session
	for _, e := range r.byBare[bare] {
		if e.roster {
			out = append(out, e.s)
		}
	}
	return out
}

// split cuts a JID into its bare part (lower-cased: local parts are PRECIS
// case-mapped and domains are case-insensitive) and resource.
func split(jid string) (bare, resource string) {
	bare, resource, _ = strings.Cut(jid, "/")
	return strings.ToLower(bare), resource
}

func bareOf(jid string) string {
	b, _ := split(jid)
	return b
}

// localOf returns the local part of a bare JID of this domain, or "".
func (r *Router) localOf(bare string) string { return LocalPart(bare, r.domain) }

// Bare is the bare part of a JID, lower-cased, as the router compares
// them.
func Bare(jid string) string { return bareOf(jid) }

// LocalPart returns the local part of a bare JID of domain (lower case),
// or "".
func LocalPart(bare, domain string) string {
	local, d, ok := strings.Cut(bare, "@")
	if !ok || d != domain {
		return ""
	}
	return local
}

// Resume puts s in the place of old, a detached session with the same
// full JID (XEP-0198 resumption): presence, roster interest and directed
// presence carry over. False if old is no longer bound.
func (r *Router) Resume(old, s Session) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entryOf(old)
	if e == nil {
		return false
	}
	e.s = s
	return true
}
