package stanza

import (
	"maps"

	"github.com/beevik/etree"
)

// Detached returns a copy of el in which every element declares its
// namespace without prefixes (where it differs from its parent's), so
// that it reads the same wherever it is put — stored, then sent inside
// another stanza — whatever prefixes or inherited declarations the client
// used. A prefixed attribute's prefix is declared in the copy, at the
// outermost element that needs it, wherever the client declared it: on
// the element, or on an ancestor the copy leaves behind (the <item> of a
// PEP publish, the <query> of private storage).
func Detached(el *etree.Element) *etree.Element {
	return detach(el, "\x00", nil)
}

// detach copies el under a parent (in the copy) whose namespace is
// parentNS and whose prefix declarations in scope are scope.
func detach(el *etree.Element, parentNS string, scope map[string]string) *etree.Element {
	ns := el.NamespaceURI()
	c := etree.NewElement(el.Tag)
	if ns != parentNS {
		c.CreateAttr("xmlns", ns)
	}
	inherited := true
	for _, a := range el.Attr {
		switch {
		case a.Space == "" && a.Key == "xmlns", a.Space == "xmlns":
			// Namespaces are redeclared above and below, as the copy needs them.
		case a.Space == "" || a.Space == "xml":
			c.CreateAttr(a.FullKey(), a.Value)
		default:
			uri := a.NamespaceURI()
			if uri == "" {
				// A prefix nobody declared: kept, it would make the copy
				// something no reader can parse.
				continue
			}
			if scope[a.Space] != uri {
				if inherited {
					scope, inherited = maps.Clone(scope), false
					if scope == nil {
						scope = map[string]string{}
					}
				}
				scope[a.Space] = uri
				c.CreateAttr("xmlns:"+a.Space, uri)
			}
			c.CreateAttr(a.FullKey(), a.Value)
		}
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			c.AddChild(detach(t, ns, scope))
		case *etree.CharData:
			c.CreateText(t.Data)
		}
	}
	return c
}
