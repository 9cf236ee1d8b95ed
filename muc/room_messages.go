package muc

import (
	"slices"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// A room's messages: to everyone, private between occupants, invitations,
// the history and the subject a joiner gets.

// sendHistory sends o the room's history, bounded by the service and by
// the joiner's <history/> (maxstanzas, maxchars, seconds, since).
func (r *Room) sendHistory(to string, x *etree.Element) {
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
		m.CreateAttr("to", to)
		d := m.CreateElement("delay")
		d.CreateAttr("xmlns", NSDelay)
		d.CreateAttr("from", r.jid)
		d.CreateAttr("stamp", h.stamp.UTC().Format(time.RFC3339))
		r.s.deliver(to, m)
	}
}

func (r *Room) sendSubject(to string) {
	m := etree.NewElement("message")
	from := r.jid
	if r.subjectBy != "" {
		from += "/" + r.subjectBy
	}
	m.CreateAttr("from", from)
	m.CreateAttr("to", to)
	m.CreateAttr("type", "groupchat")
	m.CreateAttr("id", "subject")
	m.CreateElement("subject").SetText(r.subject)
	r.s.deliver(to, m)
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
		if x := requestForm(el); x != nil {
			r.voice(from, el, x, o)
			return
		}
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
		if (c.Tag == "delay" && c.NamespaceURI() == NSDelay) || r.ourStanzaID(c) {
			continue
		}
		out.AddChild(c.Copy())
	}
	if body != nil && r.logged() {
		r.archive(out)
	}
	if body != nil && r.s.opt.MaxHistory > 0 {
		h := histItem{el: out.Copy(), stamp: r.s.opt.Now(), size: size}
		r.history = append(r.history, h)
		r.saveHistory(h)
		if n := len(r.history) - r.s.opt.MaxHistory; n > 0 {
			r.history = append(r.history[:0:0], r.history[n:]...)
		}
	}
	for _, to := range r.occupants {
		for _, j := range to.sessions {
			c := relayCopy(out)
			c.CreateAttr("to", j)
			r.s.deliver(j, c)
		}
	}
}

// relayCopy is a copy of a groupchat message for one recipient: its own
// element and attributes (a recipient's copy is addressed, and the
// router's paths may add a child to it), but the children are shared with
// every other copy — nothing on the way to a session changes the children
// of a groupchat message, and copying them was most of a copy's cost (see
// BENCHMARKS.md). The child slice is clipped, so that an append made on one
// copy lands in a new array, never in the others'.
func relayCopy(out *etree.Element) *etree.Element {
	c := &etree.Element{Space: out.Space, Tag: out.Tag}
	c.Attr = make([]etree.Attr, len(out.Attr), len(out.Attr)+1)
	copy(c.Attr, out.Attr)
	c.Child = slices.Clip(out.Child)
	return c
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
	if x := findNS(m, "x", NSUser); x == nil {
		m.CreateElement("x").CreateAttr("xmlns", NSUser)
	}
	r.sendOcc(to, m)
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
