package muc

import (
	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
)

// serviceIQ answers disco on the service's own JID.
func (s *Service) serviceIQ(from string, el *etree.Element) {
	typ := el.SelectAttrValue("type", "")
	if typ == "result" {
		return
	}
	q := only(el)
	if q == nil {
		s.bounce(from, el, stanza.ErrBadRequest)
		return
	}
	switch {
	case typ == "get" && q.Tag == "query" && q.NamespaceURI() == chat.NSDiscoInfo && q.SelectAttr("node") == nil:
		res, query := result(el, from, chat.NSDiscoInfo)
		id := query.CreateElement("identity")
		id.CreateAttr("category", "conference")
		id.CreateAttr("type", "text")
		id.CreateAttr("name", s.Name())
		for _, f := range []string{chat.NSDiscoInfo, chat.NSDiscoItem, NS, NSPing} {
			query.CreateElement("feature").CreateAttr("var", f)
		}
		s.deliver(from, res)
	case typ == "get" && q.Tag == "query" && q.NamespaceURI() == chat.NSDiscoItem:
		res, query := result(el, from, chat.NSDiscoItem)
		for _, r := range s.allRooms() {
			r.mu.Lock()
			if r.cfg.Public {
				it := query.CreateElement("item")
				it.CreateAttr("jid", r.jid)
				it.CreateAttr("name", r.title())
			}
			r.mu.Unlock()
		}
		s.deliver(from, res)
	case typ == "get" && q.Tag == "ping" && q.NamespaceURI() == NSPing:
		res, _ := result(el, from, "")
		s.deliver(from, res)
	default:
		s.bounce(from, el, stanza.ErrServiceUnavailable)
	}
}
