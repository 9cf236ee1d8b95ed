package muc

import (
	"github.com/beevik/etree"

	"jabberd/stanza"
)

// admin handles muc#admin: lists by role or affiliation (get) and changes
// of role (kick, voice, moderator) and affiliation (ban, member, admin,
// owner) (set).
func (r *Room) admin(from string, el, q *etree.Element, o *occupant, typ string) {
	actorAffil := r.affiliation(bareOf(from))
	items := q.SelectElements("item")
	switch {
	case len(items) == 0:
		r.s.bounce(from, el, ErrBadRequest)
	case typ == "get":
		r.adminList(from, el, items[0], o, actorAffil)
	case typ != "set":
		r.s.bounce(from, el, ErrBadRequest)
	default:
		r.adminSet(from, el, items, o, actorAffil)
	}
}

// adminList answers a get: the jids with an affiliation (admins and up),
// or the occupants with a role (moderators).
func (r *Room) adminList(from string, el, it *etree.Element, o *occupant, actorAffil string) {
	res, query := result(el, from, NSAdmin)
	if a := it.SelectAttrValue("affiliation", ""); a != "" {
		if affilRank[actorAffil] < affilRank[Admin] {
			r.s.bounce(from, el, ErrForbidden)
			return
		}
		for j, af := range r.affil {
			if af == a {
				x := query.CreateElement("item")
				x.CreateAttr("affiliation", af)
				x.CreateAttr("jid", j)
			}
		}
	} else if role := it.SelectAttrValue("role", ""); role != "" {
		if o == nil || o.role != Moderator {
			r.s.bounce(from, el, ErrForbidden)
			return
		}
		for _, oc := range r.occupants {
			if oc.role == role {
				x := query.CreateElement("item")
				x.CreateAttr("role", oc.role)
				x.CreateAttr("nick", oc.nick)
				x.CreateAttr("jid", oc.jid)
				x.CreateAttr("affiliation", r.affiliation(bareOf(oc.jid)))
			}
		}
	} else {
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	r.s.deliver(from, res)
}

// adminSet applies a set: every item is checked before any is applied.
func (r *Room) adminSet(from string, el *etree.Element, items []*etree.Element, o *occupant, actorAffil string) {
	for _, it := range items {
		if e, ok := r.checkItem(from, actorAffil, o, it); !ok {
			r.s.bounce(from, el, e)
			return
		}
	}
	actorNick := ""
	if o != nil {
		actorNick = o.nick
	}
	for _, it := range items {
		reason := ""
		if rs := it.SelectElement("reason"); rs != nil {
			reason = rs.Text()
		}
		if role := it.SelectAttrValue("role", ""); role != "" {
			t := r.occupants[it.SelectAttrValue("nick", "")]
			if role == None {
				r.kick(t, actorNick, reason, "307")
			} else {
				t.role = role
				r.broadcastPresence(t, nil)
			}
			continue
		}
		r.setAffiliation(bareOf(it.SelectAttrValue("jid", "")), it.SelectAttrValue("affiliation", ""), actorNick, reason)
	}
	res, _ := result(el, from, "")
	r.s.deliver(from, res)
}

// setAffiliation records j's affiliation and applies it to j's occupants:
// an outcast is banned (301), a member dropped from a members-only room
// removed (321), anyone else given the role the affiliation carries.
func (r *Room) setAffiliation(j, affil, actorNick, reason string) {
	if affil == None {
		delete(r.affil, j)
	} else {
		r.affil[j] = affil
	}
	if affilRank[affil] < affilRank[Member] {
		delete(r.nicks, j) // a registration goes with the membership
	}
	r.save()
	for _, t := range r.occupantsOf(j) {
		switch {
		case affil == Outcast:
			r.kick(t, actorNick, reason, "301")
		case affil == None && r.cfg.MembersOnly:
			r.kick(t, actorNick, reason, "321")
		default:
			t.role = r.defaultRole(affil)
			r.broadcastPresence(t, nil)
		}
	}
}

// checkItem says whether the actor may make the change one item asks.
func (r *Room) checkItem(from, actorAffil string, o *occupant, it *etree.Element) (stanza.Error, bool) {
	if role := it.SelectAttrValue("role", ""); role != "" {
		t := r.occupants[it.SelectAttrValue("nick", "")]
		switch {
		case o == nil || o.role != Moderator:
			return ErrForbidden.WithText("only moderators may change roles"), false
		case t == nil:
			return ErrItemNotFound.WithText("no occupant has that nickname"), false
		case role != None && role != Visitor && role != Participant && role != Moderator:
			return ErrBadRequest.WithText("unknown role"), false
		case role == Moderator && affilRank[actorAffil] < affilRank[Admin]:
			return ErrNotAllowed.WithText("only admins may make moderators"), false
		case affilRank[r.affiliation(bareOf(t.jid))] >= affilRank[Admin] && affilRank[r.affiliation(bareOf(t.jid))] >= affilRank[actorAffil]:
			return ErrNotAllowed.WithText("an admin or owner cannot be kicked or silenced by this actor"), false
		}
		return stanza.Error{}, true
	}
	affil := it.SelectAttrValue("affiliation", "")
	j := bareOf(it.SelectAttrValue("jid", ""))
	if j == "" && it.SelectAttrValue("nick", "") != "" {
		if t := r.occupants[it.SelectAttrValue("nick", "")]; t != nil {
			j = bareOf(t.jid)
			it.CreateAttr("jid", j)
		}
	}
	switch {
	case affilRank[actorAffil] < affilRank[Admin]:
		return ErrForbidden.WithText("only admins and owners may change affiliations"), false
	case j == "":
		return ErrBadRequest.WithText("an affiliation change names a jid"), false
	case affil == "" || (affil != None && affil != Owner && affil != Admin && affil != Member && affil != Outcast):
		return ErrBadRequest.WithText("unknown affiliation"), false
	case actorAffil != Owner && (affilRank[affil] >= affilRank[Admin] || affilRank[r.affiliation(j)] >= affilRank[Admin]):
		return ErrNotAllowed.WithText("only owners may grant or take admin and owner"), false
	case r.affiliation(j) == Owner && affil != Owner && r.owners() == 1:
		return stanza.ErrConflict.WithText("a room keeps at least one owner"), false
	}
	return stanza.Error{}, true
}

func (r *Room) owners() int {
	n := 0
	for _, a := range r.affil {
		if a == Owner {
			n++
		}
	}
	return n
}

func (r *Room) occupantsOf(bare string) []*occupant {
	var out []*occupant
	for _, oc := range r.occupants {
		if bareOf(oc.jid) == bare {
			out = append(out, oc)
		}
	}
	return out
}

// kick removes t with a status code (307 kicked, 301 banned, 321 no
// longer a member); t's own copy has 110 too.
func (r *Room) kick(t *occupant, actor, reason, code string) {
	for _, to := range r.occupants {
		p := r.presenceOf(t, to, []string{code})
		p.CreateAttr("type", "unavailable")
		item := findNS(p, "x", NSUser).SelectElement("item")
		item.SelectAttr("role").Value = None
		if code == "301" {
			item.SelectAttr("affiliation").Value = Outcast
		}
		if actor != "" {
			item.CreateElement("actor").CreateAttr("nick", actor)
		}
		if reason != "" {
			item.CreateElement("reason").SetText(reason)
		}
		r.sendOcc(to, p)
	}
	r.forget(t)
}

// owner handles muc#owner: the configuration form (get, submit, cancel)
// and destroy.
func (r *Room) owner(from string, el, q *etree.Element, typ string) {
	if r.affiliation(bareOf(from)) != Owner {
		r.s.bounce(from, el, ErrForbidden.WithText("only owners may configure this room"))
		return
	}
	if typ == "get" {
		res, query := result(el, from, NSOwner)
		r.form(query)
		r.s.deliver(from, res)
		return
	}
	if typ != "set" {
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	if d := q.SelectElement("destroy"); d != nil {
		r.destroy(d)
		res, _ := result(el, from, "")
		r.s.deliver(from, res)
		return
	}
	x := findNS(q, "x", NSData)
	if x == nil {
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	switch x.SelectAttrValue("type", "") {
	case "cancel":
	case "submit":
		cfg, err := parseForm(r.cfg, x)
		if err != "" {
			r.s.bounce(from, el, ErrBadRequest.WithText(err))
			return
		}
		r.applyConfig(cfg)
	default:
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	res, _ := result(el, from, "")
	r.s.deliver(from, res)
}

// destroy removes every occupant and the room.
func (r *Room) destroy(d *etree.Element) {
	for _, t := range r.occupants {
		p := etree.NewElement("presence")
		p.CreateAttr("from", r.jid+"/"+t.nick)
		p.CreateAttr("type", "unavailable")
		x := p.CreateElement("x")
		x.CreateAttr("xmlns", NSUser)
		it := x.CreateElement("item")
		it.CreateAttr("affiliation", None)
		it.CreateAttr("role", None)
		x.AddChild(d.Copy())
		r.sendOcc(t, p)
	}
	r.occupants = map[string]*occupant{}
	r.byJID = map[string]*occupant{}
	r.unsave()
	r.destroyed = true
	go r.s.maybeDestroy(r) // takes the service lock; r.mu is held here
}

// The configuration form's fields (XEP-0045 §15.5.3).
const formType = "http://jabber.org/protocol/muc#roomconfig"
