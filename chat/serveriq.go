package chat

import (
	"github.com/beevik/etree"

	"jabberd/stanza"
)

// Namespaces of the IQs the server answers itself.
const (
	NSPing      = "urn:xmpp:ping"
	NSDiscoInfo = "http://jabber.org/protocol/disco#info"
	NSDiscoItem = "http://jabber.org/protocol/disco#items"
	NSVersion   = "jabber:iq:version"
)

// serverIQ answers IQs to the server, or to the sender's own bare JID:
// roster, ping (XEP-0199), disco (XEP-0030), version (XEP-0092); anything
// else is service-unavailable.
func (r *Router) serverIQ(from Session, el *etree.Element) {
	typ := el.SelectAttrValue("type", "")
	if typ == "result" || typ == "error" {
		if bareOf(el.SelectAttrValue("to", "")) == r.domain {
			r.handleResult(from, el)
		}
		return
	}
	toServer := bareOf(el.SelectAttrValue("to", "")) == r.domain
	q := firstChild(el)
	if q == nil {
		r.bounce(from, el, stanza.ErrBadRequest.WithText("an IQ carries exactly one payload"))
		return
	}
	ns := q.NamespaceURI()
	switch {
	case ns == NSRoster && !toServer:
		r.rosterIQ(from, el, q)
	case ns == NSPing && q.Tag == "ping" && typ == "get":
		_ = from.Deliver(r.reply(el, from))
	case ns == NSDiscoInfo && typ == "get" && toServer:
		res := r.reply(el, from)
		info := res.CreateElement("query")
		info.CreateAttr("xmlns", NSDiscoInfo)
		id := info.CreateElement("identity")
		id.CreateAttr("category", "server")
		id.CreateAttr("type", "im")
		id.CreateAttr("name", "jabberd")
		for _, f := range r.features() {
			info.CreateElement("feature").CreateAttr("var", f)
		}
		_ = from.Deliver(res)
	case ns == NSDiscoInfo && typ == "get" && !toServer && q.SelectAttr("node") == nil:
		_ = from.Deliver(r.accountInfo(el, from))
	case ns == NSDiscoItem && typ == "get" && toServer:
		res := r.reply(el, from)
		items := res.CreateElement("query")
		items.CreateAttr("xmlns", NSDiscoItem)
		for _, c := range r.opt.Components {
			it := items.CreateElement("item")
			it.CreateAttr("jid", c.Domain())
			it.CreateAttr("name", c.Name())
		}
		_ = from.Deliver(res)
	case ns == NSVersion && typ == "get" && toServer:
		res := r.reply(el, from)
		v := res.CreateElement("query")
		v.CreateAttr("xmlns", NSVersion)
		v.CreateElement("name").SetText("jabberd")
		v.CreateElement("version").SetText(r.opt.Version)
		_ = from.Deliver(res)
	case ns == NSBlocking && !toServer:
		r.blockingIQ(from, el, q)
	case ns == NSCarbons && typ == "set" && (q.Tag == "enable" || q.Tag == "disable"):
		r.setCarbons(from, q.Tag == "enable")
		_ = from.Deliver(r.reply(el, from))
	default:
		to := bareOf(el.SelectAttrValue("to", ""))
		if to == "" {
			to = bareOf(from.JID())
		}
		if !r.handleIQ(from, el, to) {
			r.bounce(from, el, stanza.ErrServiceUnavailable)
		}
	}
}

// features are what disco#info lists: only what is implemented.
func (r *Router) features() []string {
	f := []string{
		NSDiscoInfo, NSDiscoItem, NSPing, NSVersion,
		"jabber:iq:roster", "urn:xmpp:features:rosterver",
		"http://jabber.org/protocol/msgoffline", NSDelay, NSCarbons,
	}
	if r.blockData() != nil {
		f = append(f, NSBlocking)
	}
	for _, h := range r.opt.IQHandlers {
		f = append(f, h.Features()...)
	}
	return append(f, r.opt.ExtraFeatures...)
}

// reply builds the empty result of an IQ to the server.
func (r *Router) reply(el *etree.Element, from Session) *etree.Element {
	return IQResult(el, from.JID())
}

func firstChild(el *etree.Element) *etree.Element {
	kids := el.ChildElements()
	if len(kids) != 1 {
		return nil
	}
	return kids[0]
}
