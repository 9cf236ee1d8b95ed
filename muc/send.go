package muc

import (
	"strings"

	"github.com/beevik/etree"

	"jabberd/stanza"
)

// What the service sends out, and the small stanza helpers it shares.

// deliver hands el to the router for to. Copies: el is never touched again.
func (s *Service) deliver(to string, el *etree.Element) {
	if s.sink != nil {
		s.sink.DeliverTo(to, el)
	}
}

func (s *Service) bounce(to string, el *etree.Element, e stanza.Error) {
	if reply := stanza.BounceTo(el, e, to, s.opt.Domain); reply != nil {
		s.deliver(to, reply)
	}
}

func (s *Service) bounceLocked(to string, el *etree.Element, e stanza.Error) { s.bounce(to, el, e) }

func bareOf(jid string) string {
	b, _, _ := strings.Cut(jid, "/")
	return strings.ToLower(b)
}

// only returns the single child element of el, or nil.
func only(el *etree.Element) *etree.Element {
	kids := el.ChildElements()
	if len(kids) != 1 {
		return nil
	}
	return kids[0]
}

// result is the result of IQ el from its addressee to to, with a query
// of ns when ns is not "".
func result(el *etree.Element, to, ns string) (*etree.Element, *etree.Element) {
	res := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		res.CreateAttr("id", id.Value)
	}
	res.CreateAttr("type", "result")
	res.CreateAttr("from", el.SelectAttrValue("to", ""))
	res.CreateAttr("to", to)
	if ns == "" {
		return res, nil
	}
	q := res.CreateElement("query")
	q.CreateAttr("xmlns", ns)
	return res, q
}
