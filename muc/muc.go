// Package muc is XEP-0045 Multi-User Chat: a service on its own domain
// (conference.<domain>) that the chat router hands every stanza addressed
// to it. Rooms are created by joining them; occupants have nicknames,
// roles and affiliations; groupchat messages, the subject, private
// messages, kick and ban, a configuration form (XEP-0004), bounded history
// on join, and persistent rooms kept in the store.
//
// Every room has one lock; what a room sends is delivered under it, so every
// occupant sees a room's stanzas in one order.
package muc

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

// Namespaces of XEP-0045.
const (
	NS      = "http://jabber.org/protocol/muc"
	NSUser  = NS + "#user"
	NSAdmin = NS + "#admin"
	NSOwner = NS + "#owner"
	NSData  = "jabber:x:data"
	NSPing  = "urn:xmpp:ping"
	NSDelay = "urn:xmpp:delay"
)

// Store keeps persistent rooms: name → opaque record, and each room's
// recent messages (DeleteRoom removes those too). *store.DB implements it.
type Store interface {
	SaveRoom(domain, name string, rec []byte) error
	DeleteRoom(domain, name string) error
	Rooms(domain string) (map[string][]byte, error)
	// AppendRoomHistories applies messages and deletions of rooms'
	// histories in order, in one transaction, and keeps each room's
	// newest keep.
	AppendRoomHistories(writes []store.RoomHistoryWrite, keep int) error
	RoomHistory(domain, name string) ([][]byte, error)
}

// Options configure a service. Zero bounds take the defaults below.
type Options struct {
	// Domain is the service's JID (conference.example.org).
	Domain string
	// Store keeps persistent rooms; nil keeps them in memory only.
	Store Store
	// MaxRoomsPerUser bounds the rooms one account has created and that
	// still exist (default 10).
	MaxRoomsPerUser int
	// MaxOccupants bounds a room (default 200); a room's own maxusers may
	// be lower.
	MaxOccupants int
	// MaxSessionsPerNick bounds the sessions (resources) of one account
	// sharing one nickname in a room (default 5).
	MaxSessionsPerNick int
	// Archive is the message archive logged rooms keep their messages in
	// (nil: rooms keep none, and status 170 is never sent).
	Archive RoomArchive
	// LogByDefault: a new room is logged until its owner says otherwise.
	LogByDefault bool
	// VoiceRequestInterval is how often one occupant may ask the
	// moderators for voice (default a minute).
	VoiceRequestInterval time.Duration
	// MaxHistory is how many messages a room keeps for joiners (default
	// 20; negative keeps none).
	MaxHistory int
	// MaxMessageBytes bounds a message body or subject (default 16 KiB).
	MaxMessageBytes int
	// MaxRooms bounds the service (default 10000).
	MaxRooms int
	Log      zerolog.Logger
	// Now is the clock of history stamps; nil is time.Now.
	Now func() time.Time
}

// Service is the MUC component.
type Service struct {
	opt  Options
	sink chat.Deliverer

	mu    sync.Mutex
	rooms map[string]*Room
	// creators counts the rooms each bare JID created that still exist.
	creators map[string]int
	// hist writes the persistent rooms' history (nil without a store).
	hist *historyWriter
}

// New returns a service and loads its persistent rooms from the store.
func New(opt Options) (*Service, error) {
	opt.Domain = strings.ToLower(opt.Domain)
	if opt.MaxRoomsPerUser <= 0 {
		opt.MaxRoomsPerUser = 10
	}
	if opt.MaxOccupants <= 0 {
		opt.MaxOccupants = 200
	}
	if opt.MaxSessionsPerNick <= 0 {
		opt.MaxSessionsPerNick = 5
	}
	if opt.VoiceRequestInterval <= 0 {
		opt.VoiceRequestInterval = time.Minute
	}
	if opt.MaxHistory == 0 {
		opt.MaxHistory = 20
	}
	if opt.MaxHistory < 0 {
		opt.MaxHistory = 0
	}
	if opt.MaxMessageBytes <= 0 {
		opt.MaxMessageBytes = 16 << 10
	}
	if opt.MaxRooms <= 0 {
		opt.MaxRooms = 10000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	s := &Service{opt: opt, rooms: map[string]*Room{}, creators: map[string]int{}}
	if opt.Store != nil {
		recs, err := opt.Store.Rooms(opt.Domain)
		if err != nil {
			return nil, err
		}
		s.hist = startHistoryWriter(s)
		for name, b := range recs {
			var rec record
			if err := json.Unmarshal(b, &rec); err != nil {
				opt.Log.Error().Err(err).Str("room", name).Msg("a stored room is unreadable; skipped")
				continue
			}
			r := s.newRoom(name, rec.Creator)
			r.cfg = rec.Config
			r.cfg.Persistent = true
			r.subject, r.subjectBy = rec.Subject, rec.SubjectBy
			for j, a := range rec.Affiliations {
				r.affil[j] = a
			}
			for j, n := range rec.Nicks {
				r.nicks[j] = n
			}
			r.loadHistory()
			s.rooms[name] = r
			if rec.Creator != "" {
				s.creators[rec.Creator]++
			}
		}
	}
	return s, nil
}

// Close drains the queue of the persistent rooms' history into the store
// and stops its writer: call it once the service no longer gets stanzas,
// before the store closes.
func (s *Service) Close() {
	if s.hist != nil {
		s.hist.close()
	}
}

// Flush waits until the history queued before it is in the store.
func (s *Service) Flush() {
	if s.hist != nil {
		s.hist.flush()
	}
}

// Domain is the service's JID.
func (s *Service) Domain() string { return s.opt.Domain }

// Attach gives the service the router it delivers through.
func (s *Service) Attach(d chat.Deliverer) { s.sink = d }

// Name is the service's name in disco.
func (s *Service) Name() string { return "Chat rooms" }

// RoomCount returns the number of rooms.
func (s *Service) RoomCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rooms)
}

// Handle takes a stanza a local session (from, a full JID) addressed to the
// service or one of its rooms.
func (s *Service) Handle(from string, el *etree.Element) {
	to := el.SelectAttrValue("to", "")
	bare, nick, _ := strings.Cut(to, "/")
	local, domain, ok := strings.Cut(bare, "@")
	if !ok {
		local, domain = "", bare
	}
	local = strings.ToLower(local)
	if strings.ToLower(domain) != s.opt.Domain {
		s.bounce(from, el, stanza.ErrServiceUnavailable)
		return
	}
	typ := el.SelectAttrValue("type", "")
	if typ == "error" {
		if local != "" && el.Tag == "presence" {
			return
		}
		// An error from an occupant for a private message or a ping:
		// nothing to do with it.
		return
	}
	if local == "" {
		if el.Tag == "iq" && nick == "" {
			s.serviceIQ(from, el)
			return
		}
		s.bounce(from, el, stanza.ErrServiceUnavailable)
		return
	}
	switch el.Tag {
	case "presence":
		s.presence(from, el, local, nick, typ)
	case "message":
		r := s.room(local)
		if r == nil {
			s.bounce(from, el, ErrItemNotFound)
			return
		}
		r.message(from, el, nick, typ)
	case "iq":
		r := s.room(local)
		if r == nil {
			s.bounce(from, el, ErrItemNotFound)
			return
		}
		r.iq(from, el, nick, typ)
	}
}

// allRooms is a snapshot of the rooms, taken under the service's lock
// (each room is then locked on its own).
func (s *Service) allRooms() []*Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// Gone tells the service that a session (a full JID) is unavailable: it
// leaves every room it is in.
func (s *Service) Gone(full string) {
	for _, r := range s.allRooms() {
		r.mu.Lock()
		o := r.byJID[full]
		if o != nil {
			r.leave(o, full, nil)
		}
		r.mu.Unlock()
		if o != nil {
			s.maybeDestroy(r)
		}
	}
}

func (s *Service) room(name string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[name]
}

// presence: a join, a change of presence or nick, or a leave.
func (s *Service) presence(from string, el *etree.Element, name, nick, typ string) {
	switch typ {
	case "", "unavailable":
	default:
		return // subscriptions and probes mean nothing to a room
	}
	r := s.room(name)
	if r == nil {
		if typ == "unavailable" {
			return
		}
		if nick == "" {
			s.bounce(from, el, ErrJIDMalformed)
			return
		}
		r = s.create(from, el, name)
		if r == nil {
			return
		}
	}
	r.mu.Lock()
	if r.destroyed {
		r.mu.Unlock()
		s.bounce(from, el, stanza.Error{Code: "503", Type: "wait", Condition: "service-unavailable", Text: "the room is being destroyed; try again"})
		return
	}
	o := r.byJID[from]
	switch {
	case typ == "unavailable":
		if o != nil {
			r.leave(o, from, el)
		}
	case o == nil:
		r.join(from, el, nick)
	case nick == "":
		r.mu.Unlock()
		s.bounce(from, el, ErrJIDMalformed)
		return
	case nick == o.nick:
		o.presence = cleanPresence(el)
		r.broadcastPresence(o, nil)
	default:
		r.changeNick(o, from, el, nick)
	}
	r.mu.Unlock()
	s.maybeDestroy(r)
}

// create makes a room for from's join, within the bounds; nil if refused
// (the sender is told).
func (s *Service) create(from string, el *etree.Element, name string) *Room {
	bare := bareOf(from)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rooms[name]; r != nil {
		return r
	}
	if len(s.rooms) >= s.opt.MaxRooms {
		s.bounceLocked(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint", Text: "this service has too many rooms"})
		return nil
	}
	if s.creators[bare] >= s.opt.MaxRoomsPerUser {
		s.bounceLocked(from, el, ErrNotAllowedRooms)
		return nil
	}
	r := s.newRoom(name, bare)
	r.cfg.Logged = s.opt.Archive != nil && s.opt.LogByDefault
	r.affil[bare] = Owner
	r.created = true
	s.rooms[name] = r
	s.creators[bare]++
	s.forgetArchive(r.jid)
	return r
}

func (s *Service) newRoom(name, creator string) *Room {
	return &Room{
		s: s, name: name, jid: name + "@" + s.opt.Domain, creator: creator,
		cfg:       Config{Public: true, Whois: "moderators", ChangeSubject: true},
		affil:     map[string]string{},
		nicks:     map[string]string{},
		occupants: map[string]*occupant{},
		byJID:     map[string]*occupant{},
	}
}

// maybeDestroy removes a room that is empty and not persistent.
func (s *Service) maybeDestroy(r *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.destroyed && (len(r.occupants) > 0 || r.cfg.Persistent) {
		return
	}
	if s.rooms[r.name] == r {
		delete(s.rooms, r.name)
		if r.creator != "" {
			if s.creators[r.creator]--; s.creators[r.creator] <= 0 {
				delete(s.creators, r.creator)
			}
		}
		// Under the service's lock: the deletion is queued before a
		// new room of that name can append (it only queues).
		s.forgetArchive(r.jid)
	}
	r.destroyed = true
}
