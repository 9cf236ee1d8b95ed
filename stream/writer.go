package stream

import (
	"bytes"

	"github.com/beevik/etree"
)

// writeSettings are for the tokens AppendElement leaves to etree (comments,
// processing instructions: never in a tree the Reader built).
var writeSettings = etree.WriteSettings{AttrSingleQuote: true}

// AppendElement serializes el onto b: single-quoted attributes, so that
// hand-written and tree-written output look alike, and values escaped so that
// any XML parser reads back the very characters of the tree (etree writes a
// carriage return, and an attribute's tab or newline, literally, and a parser
// would turn them into a line feed or a space).
func AppendElement(b *bytes.Buffer, el *etree.Element) {
	b.WriteByte('<')
	b.WriteString(el.FullTag())
	for _, a := range el.Attr {
		b.WriteByte(' ')
		b.WriteString(a.FullKey())
		b.WriteString("='")
		escapeAttr(b, a.Value)
		b.WriteByte('\'')
	}
	if len(el.Child) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, c := range el.Child {
		switch c := c.(type) {
		case *etree.Element:
			AppendElement(b, c)
		case *etree.CharData:
			escapeText(b, c.Data)
		default:
			c.WriteTo(b, &writeSettings)
		}
	}
	b.WriteString("</")
	b.WriteString(el.FullTag())
	b.WriteByte('>')
}

// Marshal serializes el.
func Marshal(el *etree.Element) []byte {
	var b bytes.Buffer
	AppendElement(&b, el)
	return b.Bytes()
}
