package muc

import (
	"strconv"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// A room's IQs and disco, and the helpers that read stanzas.

// iq handles IQs to the room (disco, admin, owner) and to an occupant
// (self-ping, XEP-0410).
func (r *Room) iq(from string, el *etree.Element, nick, typ string) {
	if typ == "result" {
		return
	}
	q := only(el)
	if q == nil {
		r.s.bounce(from, el, ErrBadRequest)
		return
	}
	if nick == "" && q.Tag == "query" && q.NamespaceURI() == NSMAM && r.s.opt.Archive != nil {
		r.mamQuery(from, el, q, typ)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
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
	case ns == "http://jabber.org/protocol/disco#info" && typ == "get" && q.SelectAttrValue("node", "") == nodeRoomUser:
		r.roomUserItem(from, el)
	case ns == "http://jabber.org/protocol/disco#info" && typ == "get" && q.SelectAttr("node") == nil:
		r.discoInfo(from, el)
	case ns == "http://jabber.org/protocol/disco#info":
		r.s.bounce(from, el, ErrItemNotFound.WithText("no such node"))
	case ns == NSRegister:
		r.register(from, el, q, typ)
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
	feats := []string{NS, "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", NSPing, "http://jabber.org/protocol/muc#self-ping-optimization", NSRegister, requestFormType}
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
	if r.logged() {
		feats = append(feats, r.s.opt.Archive.Features()...)
	}
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
