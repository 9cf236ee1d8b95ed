package muc

import (
	"strings"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// Registering a nickname with a room (XEP-0045 §7.10): jabber:iq:register
// with the muc#register form. A registered nickname is its owner's alone
// in the room (another account joining or renaming to it gets 409), the
// registrant becomes a member if it was not one, and disco#info with the
// node x-roomuser-item tells a user the nickname it registered (§7.12).

const (
	NSRegister       = "jabber:iq:register"
	registerFormType = "http://jabber.org/protocol/muc#register"
	nodeRoomUser     = "x-roomuser-item"
)

// reservedBy returns the bare JID that registered nick, or "".
func (r *Room) reservedBy(nick string) string {
	for bare, n := range r.nicks {
		if n == nick {
			return bare
		}
	}
	return ""
}

// register answers jabber:iq:register: the form (get), a registration or
// its removal (set).
func (r *Room) register(from string, el, q *etree.Element, typ string) {
	bare := bareOf(from)
	affil := r.affiliation(bare)
	switch {
	case affil == Outcast:
		r.s.bounce(from, el, ErrForbidden.WithText("you are banned from this room"))
		return
	case r.cfg.MembersOnly && affilRank[affil] < affilRank[Member]:
		r.s.bounce(from, el, ErrRegistration.WithText("only members may register a nickname in a members-only room"))
		return
	case typ == "get":
		res, query := result(el, from, NSRegister)
		nick, ok := r.nicks[bare]
		if ok {
			query.CreateElement("registered")
			query.CreateElement("username").SetText(nick)
		}
		x := query.CreateElement("x")
		x.CreateAttr("xmlns", NSData)
		x.CreateAttr("type", "form")
		x.CreateElement("title").SetText("Register a nickname in " + r.jid)
		field(x, "FORM_TYPE", "hidden", "", registerFormType)
		field(x, "muc#register_roomnick", "text-single", "Nickname", nick).CreateElement("required")
		r.s.deliver(from, res)
		return
	case typ != "set":
		r.s.bounce(from, el, ErrBadRequest)
		return
	case q.SelectElement("remove") != nil:
		delete(r.nicks, bare)
		if affil == Member {
			r.setAffiliation(bare, None, "", "")
		} else {
			r.save()
		}
	default:
		if e, ok := r.registerNick(bare, affil, q); !ok {
			r.s.bounce(from, el, e)
			return
		}
	}
	res, _ := result(el, from, "")
	r.s.deliver(from, res)
}

// registerNick applies a submitted muc#register form.
func (r *Room) registerNick(bare, affil string, q *etree.Element) (stanza.Error, bool) {
	x := findNS(q, "x", NSData)
	if x == nil || x.SelectAttrValue("type", "") != "submit" || formValue(x, "FORM_TYPE") != registerFormType {
		return ErrBadRequest.WithText("registration is the " + registerFormType + " form"), false
	}
	nick := strings.TrimSpace(formValue(x, "muc#register_roomnick"))
	if nick == "" || len(nick) > 1023 {
		return ErrNotAcceptable.WithText("a nickname is required"), false
	}
	if by := r.reservedBy(nick); by != "" && by != bare {
		return ErrConflict.WithText("that nickname is registered to another user"), false
	}
	if o := r.occupants[nick]; o != nil && bareOf(o.jid) != bare {
		return ErrConflict, false
	}
	r.nicks[bare] = nick
	if affil == None {
		r.setAffiliation(bare, Member, "", "") // saves
	} else {
		r.save()
	}
	return stanza.Error{}, true
}

// roomUserItem answers disco#info on the node x-roomuser-item: the
// nickname the asker registered, as an identity, or nothing.
func (r *Room) roomUserItem(from string, el *etree.Element) {
	res, q := result(el, from, "http://jabber.org/protocol/disco#info")
	q.CreateAttr("node", nodeRoomUser)
	if nick, ok := r.nicks[bareOf(from)]; ok {
		id := q.CreateElement("identity")
		id.CreateAttr("category", "conference")
		id.CreateAttr("type", "text")
		id.CreateAttr("name", nick)
	}
	r.s.deliver(from, res)
}

// formValue is the first value of field v of data form x, or "".
func formValue(x *etree.Element, v string) string {
	for _, f := range x.SelectElements("field") {
		if f.SelectAttrValue("var", "") == v {
			if val := f.SelectElement("value"); val != nil {
				return val.Text()
			}
			return ""
		}
	}
	return ""
}
