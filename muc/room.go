package muc

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"jabberd/stanza"
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
	occupants map[string]*occupant // nick → occupant
	byJID     map[string]*occupant // full JID → occupant
	history   []histItem
	created   bool // made by the join being processed: status 201
	destroyed bool
}

type occupant struct {
	nick     string
	jid      string // full JID
	role     string
	presence *etree.Element // the occupant's last presence, cleaned
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
	case len(r.occupants) >= r.maxUsers():
		r.s.bounce(from, el, ErrFull)
		return
	case r.occupants[clean] != nil:
		r.s.bounce(from, el, ErrConflict)
		return
	}
	o := &occupant{nick: clean, jid: from, role: r.defaultRole(affil), presence: cleanPresence(el)}
	// The others' presence first, then the joiner's own to everyone (its
	// own copy last, with 110), then history, then the subject.
	for _, other := range r.occupants {
		r.s.deliver(from, r.presenceOf(other, o, nil))
	}
	r.occupants[clean] = o
	r.byJID[from] = o
	var self []string
	if r.cfg.Whois == "anyone" {
		self = append(self, "100")
	}
	if created {
		self = append(self, "201")
	}
	if clean != nick {
		self = append(self, "210")
	}
	r.broadcastPresence(o, self)
	r.sendHistory(o, x)
	r.sendSubject(o)
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
		r.s.deliver(to.jid, r.presenceOf(o, to, nil))
	}
	if r.occupants[o.nick] == o {
		r.s.deliver(o.jid, r.presenceOf(o, o, selfCodes))
	}
}

// leave removes o; el is its unavailable presence (nil when the session
// went away). codes explain a removal (307 kicked, 301 banned, …); actor
// and reason go in the item.
func (r *Room) leave(o *occupant, el *etree.Element, codes ...string) {
	r.leaveWith(o, el, "", codes...)
}

func (r *Room) leaveWith(o *occupant, el *etree.Element, reason string, codes ...string) {
	if el != nil {
		o.presence = cleanPresence(el)
	} else {
		o.presence = nil
	}
	role := o.role
	o.role = None
	for _, to := range r.occupants {
		p := r.presenceOf(o, to, codes)
		p.CreateAttr("type", "unavailable")
		if reason != "" {
			x := findNS(p, "x", NSUser)
			x.SelectElement("item").CreateElement("reason").SetText(reason)
		}
		r.s.deliver(to.jid, p)
	}
	_ = role
	delete(r.occupants, o.nick)
	delete(r.byJID, o.jid)
}

// changeNick renames o (status 303 on the unavailable, then the new
// presence).
func (r *Room) changeNick(o *occupant, el *etree.Element, nick string) {
	nick = strings.TrimSpace(nick)
	if nick == "" {
		r.s.bounce(o.jid, el, ErrJIDMalformed)
		return
	}
	if r.occupants[nick] != nil {
		r.s.bounce(o.jid, el, ErrConflict)
		return
	}
	for _, to := range r.occupants {
		p := r.presenceOf(o, to, []string{"303"})
		p.CreateAttr("type", "unavailable")
		findNS(p, "x", NSUser).SelectElement("item").CreateAttr("nick", nick)
		r.s.deliver(to.jid, p)
	}
	delete(r.occupants, o.nick)
	o.nick = nick
	o.presence = cleanPresence(el)
	r.occupants[nick] = o
	r.broadcastPresence(o, nil)
}

// sendHistory sends o the room's history, bounded by the service and by
// the joiner's <history/> (maxstanzas, maxchars, seconds, since).
func (r *Room) sendHistory(o *occupant, x *etree.Element) {
	items := r.history
	now := r.s.opt.Now()
	if x != nil {
		if h := x.SelectElement("history"); h != nil {
			if v, err := strconv.Atoi(h.SelectAttrValue("maxstanzas", "")); err == nil && v >= 0 && v < len(items) {
				items = items[len(items)-v:]
			}
			if v, err := strconv.Atoi(h.SelectAttrValue("seconds", "")); err == nil && v >= 0 {
				for len(items) > 0 && now.Sub(items[0].stamp) > time.Duration(v)*time.Second {
					items = items[1:]
				}
			}
			if t, err := time.Parse(time.RFC3339, h.SelectAttrValue("since", "")); err == nil {
				for len(items) > 0 && !items[0].stamp.After(t) {
					items = items[1:]
				}
			}
			if v, err := strconv.Atoi(h.SelectAttrValue("maxchars", "")); err == nil && v >= 0 {
				total := 0
				i := len(items)
				for i > 0 && total+items[i-1].size <= v {
					total += items[i-1].size
					i--
				}
				items = items[i:]
			}
		}
	}
	for _, h := range items {
		m := h.el.Copy()
		m.CreateAttr("to", o.jid)
		d := m.CreateElement("delay")
		d.CreateAttr("xmlns", NSDelay)
		d.CreateAttr("from", r.jid)
		d.CreateAttr("stamp", h.stamp.UTC().Format(time.RFC3339))
		r.s.deliver(o.jid, m)
	}
}

func (r *Room) sendSubject(o *occupant) {
	m := etree.NewElement("message")
	from := r.jid
	if r.subjectBy != "" {
		from += "/" + r.subjectBy
	}
	m.CreateAttr("from", from)
	m.CreateAttr("to", o.jid)
	m.CreateAttr("type", "groupchat")
	m.CreateAttr("id", "subject")
	m.CreateElement("subject").SetText(r.subject)
	r.s.deliver(o.jid, m)
}

// message handles a message to the room (groupchat, an invitation) or to
// an occupant (a private message).
func (r *Room) message(from string, el *etree.Element, nick, typ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.byJID[from]
	body := el.SelectElement("body")
	subj := el.SelectElement("subject")
	size := 0
	if body != nil {
		size += len(body.Text())
	}
	if subj != nil {
		size += len(subj.Text())
	}
	if size > r.s.opt.MaxMessageBytes {
		r.s.bounce(from, el, ErrTooBig)
		return
	}
	if nick != "" {
		r.private(from, el, o, nick, typ)
		return
	}
	if typ != "groupchat" {
		if inv := invites(el); len(inv) > 0 {
			r.invite(from, el, o, inv)
			return
		}
		r.s.bounce(from, el, ErrBadRequest.WithText("a message to a room is groupchat"))
		return
	}
	switch {
	case o == nil:
		r.s.bounce(from, el, ErrNotAcceptable.WithText("only occupants may send messages to this room"))
		return
	case o.role == Visitor:
		r.s.bounce(from, el, ErrForbidden.WithText("visitors may not speak in a moderated room"))
		return
	case subj != nil && body == nil:
		if o.role != Moderator && !r.cfg.ChangeSubject {
			r.s.bounce(from, el, ErrForbidden.WithText("only moderators may change the subject"))
			return
		}
		r.subject, r.subjectBy = subj.Text(), o.nick
		r.save()
	}
	out := etree.NewElement("message")
	for _, a := range el.Attr {
		if (a.Space == "" && (a.Key == "type" || a.Key == "id")) || (a.Space == "xml" && a.Key == "lang") {
			out.CreateAttr(a.FullKey(), a.Value)
		}
	}
	out.CreateAttr("from", r.jid+"/"+o.nick)
	for _, c := range el.ChildElements() {
		if c.Tag == "delay" && c.NamespaceURI() == NSDelay {
			continue
		}
		out.AddChild(c.Copy())
	}
	if body != nil && r.s.opt.MaxHistory > 0 {
		r.history = append(r.history, histItem{el: out.Copy(), stamp: r.s.opt.Now(), size: size})
		if n := len(r.history) - r.s.opt.MaxHistory; n > 0 {
			r.history = append(r.history[:0:0], r.history[n:]...)
		}
	}
	for _, to := range r.occupants {
		m := out.Copy()
		m.CreateAttr("to", to.jid)
		r.s.deliver(to.jid, m)
	}
}

// private relays a message between occupants, from the sender's room JID.
func (r *Room) private(from string, el *etree.Element, o *occupant, nick, typ string) {
	if o == nil {
		r.s.bounce(from, el, ErrNotAcceptable.WithText("only occupants may send private messages"))
		return
	}
	if typ == "groupchat" {
		r.s.bounce(from, el, ErrBadRequest.WithText("a private message is not groupchat"))
		return
	}
	to := r.occupants[nick]
	if to == nil {
		r.s.bounce(from, el, ErrItemNotFound.WithText("no occupant has that nickname"))
		return
	}
	m := el.Copy()
	m.RemoveAttr("from")
	m.RemoveAttr("to")
	m.CreateAttr("from", r.jid+"/"+o.nick)
	m.CreateAttr("to", to.jid)
	if x := findNS(m, "x", NSUser); x == nil {
		m.CreateElement("x").CreateAttr("xmlns", NSUser)
	}
	r.s.deliver(to.jid, m)
}

// invites returns the <invite/> elements of a mediated invitation.
func invites(el *etree.Element) []*etree.Element {
	x := findNS(el, "x", NSUser)
	if x == nil {
		return nil
	}
	return x.SelectElements("invite")
}

// invite passes a mediated invitation on (XEP-0045 §7.8.2); in a
// members-only room an admin's invitation makes the invitee a member.
func (r *Room) invite(from string, el *etree.Element, o *occupant, inv []*etree.Element) {
	if o == nil {
		r.s.bounce(from, el, ErrNotAcceptable.WithText("only occupants may invite"))
		return
	}
	for _, i := range inv {
		to := i.SelectAttrValue("to", "")
		if to == "" {
			continue
		}
		if r.cfg.MembersOnly {
			if affilRank[r.affiliation(bareOf(from))] < affilRank[Admin] {
				r.s.bounce(from, el, ErrForbidden.WithText("only admins may invite to a members-only room"))
				return
			}
			if r.affiliation(bareOf(to)) == None {
				r.affil[bareOf(to)] = Member
				r.save()
			}
		}
		m := etree.NewElement("message")
		m.CreateAttr("from", r.jid)
		m.CreateAttr("to", to)
		x := m.CreateElement("x")
		x.CreateAttr("xmlns", NSUser)
		in := x.CreateElement("invite")
		in.CreateAttr("from", bareOf(from))
		if reason := i.SelectElement("reason"); reason != nil {
			in.CreateElement("reason").SetText(reason.Text())
		}
		if r.cfg.PasswordProtected {
			x.CreateElement("password").SetText(r.cfg.Password)
		}
		r.s.deliver(to, m)
	}
}

// iq handles IQs to the room (disco, admin, owner) and to an occupant
// (self-ping, XEP-0410).
func (r *Room) iq(from string, el *etree.Element, nick, typ string) {
	if typ == "result" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	q := only(el)
	if q == nil {
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	o := r.byJID[from]
	ns := q.NamespaceURI()
	if nick != "" {
		// XEP-0410: a ping to one's own occupant JID says whether one is
		// still joined. Nothing else is relayed to occupants.
		if q.Tag == "ping" && ns == NSPing && typ == "get" {
			if o != nil && o.nick == nick {
				res, _ := result(el, from, "")
				r.s.deliver(from, res)
				return
			}
			r.s.bounce(from, el, ErrNotAcceptable.WithText("you are not joined with that nickname"))
			return
		}
		r.s.bounce(from, el, stanza.ErrServiceUnavailable)
		return
	}
	switch {
	case ns == "http://jabber.org/protocol/disco#info" && typ == "get":
		r.discoInfo(from, el)
	case ns == "http://jabber.org/protocol/disco#items" && typ == "get":
		res, query := result(el, from, ns)
		if r.cfg.Public || o != nil {
			for _, oc := range r.occupants {
				it := query.CreateElement("item")
				it.CreateAttr("jid", r.jid+"/"+oc.nick)
			}
		}
		r.s.deliver(from, res)
	case ns == NSPing && typ == "get":
		res, _ := result(el, from, "")
		r.s.deliver(from, res)
	case ns == NSAdmin:
		r.admin(from, el, q, o, typ)
	case ns == NSOwner:
		r.owner(from, el, q, typ)
	default:
		r.s.bounce(from, el, stanza.ErrServiceUnavailable)
	}
}

func (r *Room) discoInfo(from string, el *etree.Element) {
	res, q := result(el, from, "http://jabber.org/protocol/disco#info")
	id := q.CreateElement("identity")
	id.CreateAttr("category", "conference")
	id.CreateAttr("type", "text")
	id.CreateAttr("name", r.title())
	feats := []string{NS, "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", NSPing, "http://jabber.org/protocol/muc#self-ping-optimization"}
	pick := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	feats = append(feats,
		pick(r.cfg.Persistent, "muc_persistent", "muc_temporary"),
		pick(r.cfg.Public, "muc_public", "muc_hidden"),
		pick(r.cfg.MembersOnly, "muc_membersonly", "muc_open"),
		pick(r.cfg.Moderated, "muc_moderated", "muc_unmoderated"),
		pick(r.cfg.PasswordProtected, "muc_passwordprotected", "muc_unsecured"),
		pick(r.cfg.Whois == "anyone", "muc_nonanonymous", "muc_semianonymous"))
	for _, f := range feats {
		q.CreateElement("feature").CreateAttr("var", f)
	}
	x := q.CreateElement("x")
	x.CreateAttr("xmlns", NSData)
	x.CreateAttr("type", "result")
	field(x, "FORM_TYPE", "hidden", "", "http://jabber.org/protocol/muc#roominfo")
	field(x, "muc#roominfo_description", "text-single", "Description", r.cfg.Description)
	field(x, "muc#roominfo_subject", "text-single", "Subject", r.subject)
	field(x, "muc#roominfo_occupants", "text-single", "Occupants", strconv.Itoa(len(r.occupants)))
	r.s.deliver(from, res)
}

func findNS(el *etree.Element, tag, ns string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

// cleanPresence keeps what of an occupant's presence the room relays:
// show, status, priority-less payloads except the MUC join element.
func cleanPresence(el *etree.Element) *etree.Element {
	p := etree.NewElement("presence")
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() == NS || c.NamespaceURI() == NSUser || c.Tag == "priority" {
			continue
		}
		p.AddChild(c.Copy())
	}
	return p
}
