package stream

import (
	"bytes"

	"github.com/beevik/etree"
)

// writeSettings make etree write the way the rest of the server does: single
// quoted attributes, so that hand-written and tree-written output look alike.
var writeSettings = etree.WriteSettings{AttrSingleQuote: true}

// AppendElement serializes el onto b.
func AppendElement(b *bytes.Buffer, el *etree.Element) {
	el.WriteTo(b, &writeSettings)
}

// Marshal serializes el.
func Marshal(el *etree.Element) []byte {
	var b bytes.Buffer
	AppendElement(&b, el)
	return b.Bytes()
}
