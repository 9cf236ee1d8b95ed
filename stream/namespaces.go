package stream

import "slices"

// Namespaces the stream layer itself needs to know.
const (
	NSStreams = "http://etherx.jabber.org/streams"
	NSClient  = "jabber:client"
	NSXML     = "http://www.w3.org/XML/1998/namespace"
	NSXMLNS   = "http://www.w3.org/2000/xmlns/"
)

// binding is one prefix declaration in force; "" is the default namespace.
type binding struct {
	prefix, uri string
	depth       int
}

// scope is the stack of namespace declarations in force while tokenizing.
// A slice rather than a map per element: most elements declare nothing, and
// lookups walk back a handful of entries.
type scope struct {
	bindings []binding
}

func (s *scope) push(prefix, uri string, depth int) {
	s.bindings = append(s.bindings, binding{prefix, uri, depth})
}

// shrink lets go of the room the elements' declarations took (and the
// strings the popped ones still referenced there): between elements what
// is left is the header's, kept for the rest of the stream.
func (s *scope) shrink() {
	if cap(s.bindings) > len(s.bindings) {
		s.bindings = slices.Clone(s.bindings)
	}
}

// pop drops the declarations made at depth or deeper.
func (s *scope) pop(depth int) {
	i := len(s.bindings)
	for i > 0 && s.bindings[i-1].depth >= depth {
		i--
	}
	s.bindings = s.bindings[:i]
}

// lookup resolves a prefix; ok is false for an undeclared prefix.
func (s *scope) lookup(prefix string) (uri string, depth int, ok bool) {
	switch prefix {
	case "xml":
		return NSXML, -1, true
	case "xmlns":
		return NSXMLNS, -1, true
	}
	for i := len(s.bindings) - 1; i >= 0; i-- {
		if s.bindings[i].prefix == prefix {
			return s.bindings[i].uri, s.bindings[i].depth, true
		}
	}
	if prefix == "" {
		return "", -1, true // no default namespace declared: the empty one
	}
	return "", 0, false
}
