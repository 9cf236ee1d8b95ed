package stanza

import "github.com/beevik/etree"

// BounceTo is the error reply a component (a room service, the upload
// service) sends for el: addressed to to, from from when el named no one,
// and nil when no reply is due — an error is never answered, nor an IQ
// result (RFC 6120 §8.3.1).
func BounceTo(el *etree.Element, e Error, to, from string) *etree.Element {
	typ := el.SelectAttrValue("type", "")
	if typ == "error" || (el.Tag == "iq" && typ == "result") {
		return nil
	}
	reply := ErrorReply(el, e)
	if a := reply.SelectAttr("to"); a != nil {
		a.Value = to
	} else {
		reply.CreateAttr("to", to)
	}
	if reply.SelectAttr("from") == nil {
		reply.CreateAttr("from", from)
	}
	return reply
}
