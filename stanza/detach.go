package stanza

import "github.com/beevik/etree"

// Detached returns a copy of el in which every element declares its
// namespace without prefixes (where it differs from its parent's), so
// that it reads the same wherever it is put — stored, then sent inside
// another stanza — whatever prefixes or inherited declarations the client
// used. Prefixed attributes keep the declaration of their prefix.
func Detached(el *etree.Element) *etree.Element {
	return detach(el, "\x00")
}

func detach(el *etree.Element, parentNS string) *etree.Element {
	ns := el.NamespaceURI()
	c := etree.NewElement(el.Tag)
	if ns != parentNS {
		c.CreateAttr("xmlns", ns)
	}
	for _, a := range el.Attr {
		switch {
		case a.Space == "" && a.Key == "xmlns":
		case a.Space == "xmlns" && !attrPrefixUsed(el, a.Key):
		default:
			c.CreateAttr(a.FullKey(), a.Value)
		}
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			c.AddChild(detach(t, ns))
		case *etree.CharData:
			c.CreateText(t.Data)
		}
	}
	return c
}

// attrPrefixUsed reports whether one of el's attributes has the prefix.
func attrPrefixUsed(el *etree.Element, prefix string) bool {
	for _, a := range el.Attr {
		if a.Space == prefix {
			return true
		}
	}
	return false
}
