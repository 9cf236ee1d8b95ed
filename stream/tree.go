package stream

// Building a depth-1 element's tree from its tokens, with the namespaces
// in scope.

import (
	"encoding/xml"
	"io"

	"github.com/beevik/etree"
)

// element reads one depth-1 element completely into a tree. Declarations the
// element relies on from the stream header are copied onto its root, so the
// tree stands alone when it is routed or serialized elsewhere.
func (r *Reader) element(start xml.StartElement) (Event, error) {
	root, space, err := r.open(start, nil, 1)
	if err != nil {
		return Event{}, err
	}
	cur, depth := root, 1
	for depth > 0 {
		tok, err := r.token()
		if err != nil {
			if err = r.translate(err); err == io.EOF {
				// Between two tokens of an unfinished element.
				err = io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		switch t := &tok; t.kind {
		case tokStart:
			if r.lim.MaxDepth > 0 && depth >= r.lim.MaxDepth {
				return Event{}, Errorf(PolicyViolation, "elements nested deeper than %d levels", r.lim.MaxDepth)
			}
			depth++
			child, _, err := r.open(t.start(), root, depth)
			if err != nil {
				return Event{}, err
			}
			cur.AddChild(child)
			cur = child
		case tokEnd:
			if t.name.Space != cur.Space || t.name.Local != cur.Tag {
				return Event{}, Errorf(NotWellFormed, "</%s> does not close <%s>", qname(t.name), cur.FullTag())
			}
			r.ns.pop(depth)
			depth--
			if p := cur.Parent(); p != nil {
				cur = p
			}
		case tokText:
			// An empty CDATA section is no text: kept, it would make the
			// element serialize with an end tag that reads back as a
			// different (self-closing) element.
			if len(t.text) > 0 {
				cur.CreateText(string(t.text))
			}
		case tokProcInst, tokDirective, tokComment:
			return Event{}, t.refused()
		}
	}
	return Event{Kind: KindElement, Element: root, Space: space, End: r.offset()}, nil
}

// open makes the etree element for a start tag at depth, pushing its
// declarations and checking every prefix it uses is bound. For the root of a
// depth-1 element, bindings inherited from the header are copied onto it.
func (r *Reader) open(t xml.StartElement, root *etree.Element, depth int) (*etree.Element, string, error) {
	if err := checkNames(t); err != nil {
		return nil, "", err
	}
	el := etree.NewElement(t.Name.Local)
	el.Space = t.Name.Space
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return nil, "", Errorf(NotWellFormed, "the prefix %q cannot be bound to the empty namespace", a.Name.Local)
			}
			r.ns.push(a.Name.Local, a.Value, depth)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			r.ns.push("", a.Value, depth)
		}
	}
	for _, a := range t.Attr {
		el.CreateAttr(qname(a.Name), a.Value)
	}
	uri, err := r.resolve(t.Name.Space, root, el, depth)
	if err != nil {
		return nil, "", err
	}
	for _, a := range t.Attr {
		if a.Name.Space == "" || a.Name.Space == "xmlns" {
			continue
		}
		if _, err := r.resolve(a.Name.Space, root, el, depth); err != nil {
			return nil, "", err
		}
	}
	return el, uri, nil
}

// resolve looks prefix up; when it was bound by the header and we are building
// a depth-1 tree, the binding is declared on that tree's root.
func (r *Reader) resolve(prefix string, root, el *etree.Element, depth int) (string, error) {
	uri, at, ok := r.ns.lookup(prefix)
	if !ok {
		return "", Errorf(BadNamespacePrefix, "the prefix %q is used but was never declared", prefix)
	}
	if at == 0 && prefix != "" {
		if root == nil {
			root = el
		}
		if root.SelectAttr("xmlns:"+prefix) == nil {
			root.CreateAttr("xmlns:"+prefix, uri)
		}
	}
	if uri == "" && depth >= 1 {
		return "", nil
	}
	return uri, nil
}
