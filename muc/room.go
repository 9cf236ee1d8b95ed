package muc

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
)

// Affiliations and roles (XEP-0045 §5).
const (
	Owner   = "owner"
	Admin   = "admin"
	Member  = "member"
	Outcast = "outcast"
	None    = "none"

	Moderator   = "moderator"
	Participant = "participant"
	Visitor     = "visitor"
)

// affilRank orders affiliations; an actor acts only on lower ranks.
var affilRank = map[string]int{Outcast: -1, None: 0, Member: 1, Admin: 2, Owner: 3}

// Config is what the owner sets through the configuration form.
type Config struct {
	Name              string `json:"name,omitempty"`
	Description       string `json:"description,omitempty"`
	Persistent        bool   `json:"persistent"`
	Public            bool   `json:"public"`
	MembersOnly       bool   `json:"members_only"`
	Moderated         bool   `json:"moderated"`
	PasswordProtected bool   `json:"password_protected"`
	Password          string `json:"password,omitempty"`
	// Whois is who sees occupants' real JIDs: "moderators"
	// (semi-anonymous) or "anyone" (non-anonymous).
	Whois string `json:"whois"`
	// ChangeSubject lets participants change the subject, not only
	// moderators.
	ChangeSubject bool `json:"change_subject"`
	MaxUsers      int  `json:"max_users,omitempty"`
	// Logged: the room keeps its messages in the archive (XEP-0313).
	Logged bool `json:"logged,omitempty"`
}

// Room is one room. Its fields are guarded by mu.
type Room struct {
	s       *Service
	name    string
	jid     string
	creator string

	mu        sync.Mutex
	cfg       Config
	subject   string
	subjectBy string // the nick that set it
	affil     map[string]string
	nicks     map[string]string    // bare JID → the nickname it registered
	occupants map[string]*occupant // nick → occupant
	byJID     map[string]*occupant // full JID → occupant
	history   []histItem
	created   bool // made by the join being processed: status 201
	destroyed bool
}

// occupant is one nickname in the room. Several sessions (resources) of
// one account may share it (multi-session nick): each gets what the
// occupant gets, and the occupant stays while any of them does.
type occupant struct {
	nick string
	// jid is the full JID shown as the occupant's real JID: its first
	// session still joined.
	jid      string
	sessions []string // full JIDs, in the order they joined; jid is the first
	role     string
	presence *etree.Element // the occupant's last presence (of any session), cleaned
	// voiceAsked is when the occupant last asked for voice.
	voiceAsked time.Time
}

// sendOcc delivers el to every session of o, each copy addressed to it.
// el is not touched again.
func (r *Room) sendOcc(o *occupant, el *etree.Element) {
	for i, j := range o.sessions {
		c := el
		if i < len(o.sessions)-1 {
			c = el.Copy()
		}
		c.CreateAttr("to", j)
		r.s.deliver(j, c)
	}
}

// forget removes o and all its sessions from the room's indexes.
func (r *Room) forget(o *occupant) {
	delete(r.occupants, o.nick)
	for _, j := range o.sessions {
		delete(r.byJID, j)
	}
}

type histItem struct {
	el    *etree.Element // from the room JID of the sender, no to
	stamp time.Time
	size  int
}

func (r *Room) title() string {
	if r.cfg.Name != "" {
		return r.cfg.Name
	}
	return r.name
}

func (r *Room) affiliation(bare string) string {
	if a, ok := r.affil[bare]; ok {
		return a
	}
	return None
}

func (r *Room) defaultRole(affil string) string {
	switch affil {
	case Owner, Admin:
		return Moderator
	case Member:
		return Participant
	}
	if r.cfg.Moderated {
		return Visitor
	}
	return Participant
}

func (r *Room) maxUsers() int {
	if m := r.cfg.MaxUsers; m > 0 && m < r.s.opt.MaxOccupants {
		return m
	}
	return r.s.opt.MaxOccupants
}

// join admits from as nick, or tells it why not.
func (r *Room) join(from string, el *etree.Element, nick string) {
	created := r.created
	r.created = false
	clean := strings.TrimSpace(nick)
	bare := bareOf(from)
	affil := r.affiliation(bare)
	var x *etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "x" && c.NamespaceURI() == NS {
			x = c
		}
	}
	switch {
	case clean == "" || len(clean) > 1023:
		r.s.bounce(from, el, ErrJIDMalformed)
		return
	case affil == Outcast:
		r.s.bounce(from, el, ErrForbidden.WithText("you are banned from this room"))
		return
	case r.cfg.MembersOnly && affilRank[affil] < affilRank[Member]:
		r.s.bounce(from, el, ErrRegistration)
		return
	case r.cfg.PasswordProtected && affilRank[affil] < affilRank[Owner] && (x == nil || x.SelectElement("password") == nil || x.SelectElement("password").Text() != r.cfg.Password):
		r.s.bounce(from, el, ErrPassword)
		return
	case r.reservedBy(clean) != "" && r.reservedBy(clean) != bare:
		r.s.bounce(from, el, ErrConflict.WithText("that nickname is registered to another user"))
		return
	case r.occupants[clean] != nil && bareOf(r.occupants[clean].jid) == bare:
		r.addSession(r.occupants[clean], from, el, x, nick)
		return
	case len(r.occupants) >= r.maxUsers():
		r.s.bounce(from, el, ErrFull)
		return
	case r.occupants[clean] != nil:
		r.s.bounce(from, el, ErrConflict)
		return
	}
	o := &occupant{nick: clean, jid: from, sessions: []string{from}, role: r.defaultRole(affil), presence: cleanPresence(el)}
	// The others' presence first, then the joiner's own to everyone (its
	// own copy last, with 110), then history, then the subject.
	for _, other := range r.occupants {
		r.s.deliver(from, r.presenceOf(other, o, nil))
	}
	r.occupants[clean] = o
	r.byJID[from] = o
	r.broadcastPresence(o, r.selfCodes(created, clean != nick))
	r.sendHistory(from, x)
	r.sendSubject(from)
}

// selfCodes are the status codes of a joiner's own presence: 170 in a
// logged room, 100 in a non-anonymous room, 201 for the room's creator, 210 for a nick the
// service changed.
func (r *Room) selfCodes(created, renamed bool) []string {
	var self []string
	if r.logged() {
		self = append(self, "170")
	}
	if r.cfg.Whois == "anyone" {
		self = append(self, "100")
	}
	if created {
		self = append(self, "201")
	}
	if renamed {
		self = append(self, "210")
	}
	return self
}

// addSession joins another session of o's account to o's nickname: the
// new session alone gets the occupants, its own presence (110), the history
// and the subject; the others see nothing change.
func (r *Room) addSession(o *occupant, from string, el, x *etree.Element, nick string) {
	if len(o.sessions) >= r.s.opt.MaxSessionsPerNick {
		r.s.bounce(from, el, ErrTooManySessions)
		return
	}
	for _, other := range r.occupants {
		if other != o {
			p := r.presenceOf(other, o, nil)
			p.CreateAttr("to", from)
			r.s.deliver(from, p)
		}
	}
	o.sessions = append(o.sessions, from)
	r.byJID[from] = o
	o.presence = cleanPresence(el)
	p := r.presenceOf(o, o, r.selfCodes(false, strings.TrimSpace(nick) != nick))
	p.CreateAttr("to", from)
	r.s.deliver(from, p)
	r.sendHistory(from, x)
	r.sendSubject(from)
}

// presenceOf is occupant o's presence as recipient to sees it, with status
// codes (110 is added for o's own copy).
func (r *Room) presenceOf(o, to *occupant, codes []string) *etree.Element {
	var p *etree.Element
	if o.presence != nil {
		p = o.presence.Copy()
	} else {
		p = etree.NewElement("presence")
	}
	p.CreateAttr("from", r.jid+"/"+o.nick)
	p.CreateAttr("to", to.jid)
	x := p.CreateElement("x")
	x.CreateAttr("xmlns", NSUser)
	it := x.CreateElement("item")
	it.CreateAttr("affiliation", r.affiliation(bareOf(o.jid)))
	it.CreateAttr("role", o.role)
	if r.cfg.Whois == "anyone" || to.role == Moderator || to == o {
		it.CreateAttr("jid", o.jid)
	}
	if to == o {
		x.CreateElement("status").CreateAttr("code", "110")
	}
	for _, c := range codes {
		x.CreateElement("status").CreateAttr("code", c)
	}
	return p
}

// broadcastPresence sends o's presence to every occupant; selfCodes go
// on o's own copy only.
func (r *Room) broadcastPresence(o *occupant, selfCodes []string) {
	for _, to := range r.occupants {
		if to == o {
			continue
		}
		r.sendOcc(to, r.presenceOf(o, to, nil))
	}
	if r.occupants[o.nick] == o {
		r.sendOcc(o, r.presenceOf(o, o, selfCodes))
	}
}

// leave takes session full out of o; el is its unavailable presence (nil
// when the session went away). The last session's leaving removes o, and
// everyone sees it; otherwise only the leaving session is told (110), and
// the others see o again when its real JID changes.
func (r *Room) leave(o *occupant, full string, el *etree.Element) {
	if len(o.sessions) > 1 {
		r.leaveSession(o, full, el)
		return
	}
	if el != nil {
		o.presence = cleanPresence(el)
	} else {
		o.presence = nil
	}
	o.role = None
	for _, to := range r.occupants {
		p := r.presenceOf(o, to, nil)
		p.CreateAttr("type", "unavailable")
		r.sendOcc(to, p)
	}
	r.forget(o)
}

// leaveSession is leave for one of several sessions: it alone gets its
// unavailable presence (110, role none).
func (r *Room) leaveSession(o *occupant, full string, el *etree.Element) {
	p := etree.NewElement("presence")
	if el != nil {
		p = cleanPresence(el)
	}
	p.CreateAttr("from", r.jid+"/"+o.nick)
	p.CreateAttr("to", full)
	p.CreateAttr("type", "unavailable")
	x := p.CreateElement("x")
	x.CreateAttr("xmlns", NSUser)
	it := x.CreateElement("item")
	it.CreateAttr("affiliation", r.affiliation(bareOf(o.jid)))
	it.CreateAttr("role", None)
	it.CreateAttr("jid", full)
	x.CreateElement("status").CreateAttr("code", "110")
	r.s.deliver(full, p)
	o.sessions = slices.DeleteFunc(o.sessions, func(j string) bool { return j == full })
	delete(r.byJID, full)
	if o.jid != o.sessions[0] {
		o.jid = o.sessions[0]
		r.broadcastPresence(o, nil)
	}
}

// changeNick renames o (status 303 on the unavailable, then the new
// presence).
// A nick shared by several sessions changes for all of them.
func (r *Room) changeNick(o *occupant, from string, el *etree.Element, nick string) {
	nick = strings.TrimSpace(nick)
	if nick == "" {
		r.s.bounce(from, el, ErrJIDMalformed)
		return
	}
	if r.occupants[nick] != nil {
		r.s.bounce(from, el, ErrConflict)
		return
	}
	if by := r.reservedBy(nick); by != "" && by != bareOf(o.jid) {
		r.s.bounce(from, el, ErrConflict.WithText("that nickname is registered to another user"))
		return
	}
	for _, to := range r.occupants {
		p := r.presenceOf(o, to, []string{"303"})
		p.CreateAttr("type", "unavailable")
		findNS(p, "x", NSUser).SelectElement("item").CreateAttr("nick", nick)
		r.sendOcc(to, p)
	}
	delete(r.occupants, o.nick)
	o.nick = nick
	o.presence = cleanPresence(el)
	r.occupants[nick] = o
	r.broadcastPresence(o, nil)
}
