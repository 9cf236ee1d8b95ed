package stream

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
)

// Header is a client's opening <stream:stream> tag as it was sent: the
// element name with its prefix, every plain attribute, and the namespace
// declarations (prefix → URI, "" for the default namespace).
type Header struct {
	Prefix string // prefix of the element name, normally "stream"
	Local  string // local name, normally "stream"
	Space  string // namespace URI the prefix resolved to
	Attrs  []xml.Attr
	Decls  Decls
}

// Decls are a header's namespace declarations, prefix → URI ("" for the
// default namespace), in the order given. A slice, not a map: the header
// stays with a session for its lifetime, and a map of two or three
// entries cost a few hundred bytes more per session.
type Decls []Decl

// Decl is one namespace declaration.
type Decl struct{ Prefix, URI string }

// Get returns the URI bound to prefix.
func (d Decls) Get(prefix string) (string, bool) {
	for _, x := range d {
		if x.Prefix == prefix {
			return x.URI, true
		}
	}
	return "", false
}

// set binds prefix to uri, replacing an earlier binding of it.
func (d *Decls) set(prefix, uri string) {
	for i, x := range *d {
		if x.Prefix == prefix {
			(*d)[i].URI = uri
			return
		}
	}
	*d = append(*d, Decl{prefix, uri})
}

// Map returns the declarations as a map (the debug log, tests).
func (d Decls) Map() map[string]string {
	m := make(map[string]string, len(d))
	for _, x := range d {
		m[x.Prefix] = x.URI
	}
	return m
}

// MarshalJSON writes the declarations as an object, prefix → URI, as the
// map they were before.
func (d Decls) MarshalJSON() ([]byte, error) { return json.Marshal(d.Map()) }

// Attr returns the value of a plain attribute given as "name" or
// "prefix:name" (e.g. "xml:lang"), or "".
func (h *Header) Attr(name string) string {
	for _, a := range h.Attrs {
		if attrKey(a.Name) == name {
			return a.Value
		}
	}
	return ""
}

// HasAttr reports whether the attribute was present at all, empty or not.
func (h *Header) HasAttr(name string) bool {
	for _, a := range h.Attrs {
		if attrKey(a.Name) == name {
			return true
		}
	}
	return false
}

// Declares reports whether any prefix (or the default) is bound to uri.
func (h *Header) Declares(uri string) bool { return h.Decls.Declares(uri) }

// PrefixFor returns a prefix the client bound to uri, preferring want;
// otherwise the first in byte order, so that the answer (which the server
// echoes) does not depend on map order. The default namespace has no prefix.
func (h *Header) PrefixFor(uri, want string) (string, bool) { return h.Decls.PrefixFor(uri, want) }

// Declares reports whether any prefix (or the default) is bound to uri.
func (d Decls) Declares(uri string) bool {
	for _, x := range d {
		if x.URI == uri {
			return true
		}
	}
	return false
}

// PrefixFor is Header.PrefixFor.
func (d Decls) PrefixFor(uri, want string) (string, bool) {
	if u, ok := d.Get(want); ok && want != "" && u == uri {
		return want, true
	}
	best, found := "", false
	for _, x := range d {
		if x.URI == uri && x.Prefix != "" && (!found || x.Prefix < best) {
			best, found = x.Prefix, true
		}
	}
	return best, found
}

func attrKey(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// Attr is one attribute of a header the server writes, in the order given.
type Attr struct{ Key, Value string }

// OpenTag returns the server's <stream:stream …> with attributes in order.
// The tag is left open: it is closed by CloseTag when the stream ends.
func OpenTag(attrs ...Attr) []byte {
	var b bytes.Buffer
	WriteOpenTag(&b, attrs...)
	return b.Bytes()
}

// WriteOpenTag is OpenTag written onto b.
func WriteOpenTag(b *bytes.Buffer, attrs ...Attr) {
	n := len("<stream:stream>")
	for _, a := range attrs {
		n += len(" ='") + len(a.Key) + len(a.Value) + len("'")
	}
	b.Grow(n) // at most one allocation when nothing needs escaping
	b.WriteString("<stream:stream")
	for _, a := range attrs {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString("='")
		escapeAttr(b, a.Value)
		b.WriteByte('\'')
	}
	b.WriteByte('>')
}

// CloseTag ends the XML stream.
const CloseTag = "</stream:stream>"
