package muc

import (
	"strings"

	"github.com/beevik/etree"
)

// Voice requests (XEP-0045 §7.13, §8.6): a visitor in a moderated room
// sends the muc#request form; the room passes it to every moderator as a
// form to approve, and a moderator's submitted approval gives the visitor
// voice (role participant, its presence to everyone).

const requestFormType = "http://jabber.org/protocol/muc#request"

// requestForm returns the muc#request data form of a message, or nil.
func requestForm(el *etree.Element) *etree.Element {
	x := findNS(el, "x", NSData)
	if x == nil || formValue(x, "FORM_TYPE") != requestFormType {
		return nil
	}
	return x
}

// voice handles a muc#request form from occupant o: an approval when it
// answers a request (it has muc#request_allow), else a request.
func (r *Room) voice(from string, el, x *etree.Element, o *occupant) {
	if o == nil {
		r.s.bounce(from, el, ErrNotAcceptable.WithText("only occupants may ask for voice"))
		return
	}
	if hasField(x, "muc#request_allow") {
		r.approveVoice(from, el, x, o)
		return
	}
	now := r.s.opt.Now()
	switch {
	case o.role != Visitor:
		r.s.bounce(from, el, ErrNotAcceptable.WithText("you have voice in this room already"))
		return
	case !o.voiceAsked.IsZero() && now.Sub(o.voiceAsked) < r.s.opt.VoiceRequestInterval:
		r.s.bounce(from, el, ErrVoiceWait)
		return
	}
	o.voiceAsked = now
	for _, m := range r.occupants {
		if m.role == Moderator {
			r.sendOcc(m, r.voiceForm(o))
		}
	}
}

// voiceForm is the approval form moderators get for o's request.
func (r *Room) voiceForm(o *occupant) *etree.Element {
	m := etree.NewElement("message")
	m.CreateAttr("from", r.jid)
	x := m.CreateElement("x")
	x.CreateAttr("xmlns", NSData)
	x.CreateAttr("type", "form")
	x.CreateElement("title").SetText("Voice request")
	x.CreateElement("instructions").SetText("To give " + o.nick + " voice, check the box and submit the form.")
	field(x, "FORM_TYPE", "hidden", "", requestFormType)
	field(x, "muc#role", "list-single", "Requested role", Participant)
	field(x, "muc#jid", "jid-single", "User ID", o.jid)
	field(x, "muc#roomnick", "text-single", "Room nickname", o.nick)
	field(x, "muc#request_allow", "boolean", "Grant voice to this person?", "false")
	return m
}

// approveVoice applies a moderator's answer to a voice request.
func (r *Room) approveVoice(from string, el, x *etree.Element, o *occupant) {
	if o.role != Moderator {
		r.s.bounce(from, el, ErrForbidden.WithText("only moderators may grant voice"))
		return
	}
	switch strings.TrimSpace(formValue(x, "muc#request_allow")) {
	case "1", "true":
	default:
		return // declined: the visitor stays a visitor
	}
	t := r.occupants[formValue(x, "muc#roomnick")]
	if t == nil {
		r.s.bounce(from, el, ErrItemNotFound.WithText("no occupant has that nickname"))
		return
	}
	if t.role == Visitor {
		t.role = Participant
		r.broadcastPresence(t, nil)
	}
}

func hasField(x *etree.Element, v string) bool {
	for _, f := range x.SelectElements("field") {
		if f.SelectAttrValue("var", "") == v {
			return true
		}
	}
	return false
}
