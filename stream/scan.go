package stream

// The scanner: a fast path past encoding/xml for the events a client
// usually sends. A login is a few small elements, each arriving whole in
// one read; encoding/xml tokenizes them a byte at a time through an
// interface, copying every name and value (18 of the 29 µs the stream
// layer cost a login, BENCHMARKS.md). The scanner reads one event's
// tokens straight from the bytes already buffered and hands them to the
// same code the decoder's tokens go through (next, header, element), so the
// events, the checks and the errors are those of the decoder path.
//
// It takes only what it can read exactly as encoding/xml's RawToken would
// in strict mode: ASCII names, attribute values and text without entity or
// character references, CDATA sections or carriage returns, valid UTF-8 in
// XML's character range, the XML declaration in its usual forms. On
// anything else — or an event not wholly buffered — it gives up having
// consumed nothing, and the decoder reads the same bytes from the start
// (and the rest of that source's, see scanBuffered). FuzzScannerAgrees
// holds the two paths to the same events and errors.

import (
	"bytes"
	"encoding/xml"
	"sync"
	"unicode/utf8"
)

// scanner holds what one scan produced. Scanners are shared through a pool
// rather than kept by each Reader: one is needed only while an event is
// read, and a stream's Reader lives as long as its session.
type scanner struct {
	in    []byte
	i     int
	toks  []token
	next  int // the first of toks the Reader has yet to take
	attrs []xml.Attr
}

var scanners = sync.Pool{New: func() any {
	return &scanner{toks: make([]token, 0, 16), attrs: make([]xml.Attr, 0, 8)}
}}

// put returns s to the pool, holding nothing of the event it read.
func (s *scanner) put() {
	clear(s.toks)
	clear(s.attrs)
	s.in, s.toks, s.attrs, s.next = nil, s.toks[:0], s.attrs[:0], 0
	scanners.Put(s)
}

// xmlDecls are the XML declarations the scanner takes; any other goes to the
// decoder, which checks its version and encoding.
var xmlDecls = [...]string{
	`<?xml version='1.0'?>`,
	`<?xml version="1.0"?>`,
	`<?xml version='1.0' encoding='UTF-8'?>`,
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version='1.0' encoding='utf-8'?>`,
	`<?xml version="1.0" encoding="utf-8"?>`,
}

// event scans the tokens of one event at the start of in: before the
// stream is opened (an optional XML declaration and) the header's start
// tag; after it, a complete depth-1 element or the stream's closing tag.
// Leading whitespace is skipped as the decoder path ignores it. It returns
// false, with nothing to use, when the decoder must read these bytes.
func (s *scanner) event(in []byte, opened, first bool) bool {
	s.in, s.i, s.toks, s.attrs = in, 0, s.toks[:0], s.attrs[:0]
	if !opened && first && bytes.HasPrefix(in, []byte("<?")) {
		if !s.decl() {
			return false
		}
	}
	s.space()
	if s.i+1 >= len(s.in) || s.in[s.i] != '<' {
		return false
	}
	switch {
	case !opened:
		name, attr, empty, ok := s.startTag()
		if !ok || empty { // a header closed at once: the decoder's case
			return false
		}
		s.emit(token{kind: tokStart, name: name, attr: attr})
		return true
	case s.in[s.i+1] == '/':
		name, ok := s.endTag()
		if ok {
			s.emit(token{kind: tokEnd, name: name})
		}
		return ok
	}
	return s.element()
}

// decl takes an XML declaration in one of the usual forms.
func (s *scanner) decl() bool {
	for _, d := range xmlDecls {
		if bytes.HasPrefix(s.in, []byte(d)) {
			s.emit(token{kind: tokProcInst, target: "xml"})
			s.i = len(d)
			return true
		}
	}
	return false
}

// element scans a depth-1 element from its start tag to its end tag.
func (s *scanner) element() bool {
	depth := 0
	for {
		if s.i+1 >= len(s.in) || s.in[s.i] != '<' {
			return false
		}
		switch s.in[s.i+1] {
		case '/':
			name, ok := s.endTag()
			if !ok {
				return false
			}
			s.emit(token{kind: tokEnd, name: name})
			depth--
		case '!', '?': // comments, CDATA, processing instructions
			return false
		default:
			name, attr, empty, ok := s.startTag()
			if !ok {
				return false
			}
			s.emit(token{kind: tokStart, name: name, attr: attr})
			if empty {
				s.emit(token{kind: tokEnd, name: name})
			} else {
				depth++
			}
		}
		if depth == 0 {
			return true
		}
		start := s.i
		if !s.text(-1) {
			return false
		}
		if s.i > start {
			s.emit(token{kind: tokText, text: s.in[start:s.i]})
		}
	}
}

func (s *scanner) emit(t token) { s.toks = append(s.toks, t) }

// space skips what the decoder skips inside tags and between elements:
// the bytes of xmlSpace.
func (s *scanner) space() {
	for s.i < len(s.in) && isSpace(s.in[s.i]) {
		s.i++
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// startTag scans <name attr='value' …> or <… />, at s.in[s.i] == '<'.
func (s *scanner) startTag() (name xml.Name, attr []xml.Attr, empty, ok bool) {
	s.i++
	if name, ok = s.name(); !ok {
		return
	}
	from := len(s.attrs)
	for {
		s.space()
		if s.i >= len(s.in) {
			return name, nil, false, false
		}
		switch s.in[s.i] {
		case '>':
			s.i++
			return name, s.attrs[from:len(s.attrs):len(s.attrs)], false, true
		case '/':
			if s.i+1 >= len(s.in) || s.in[s.i+1] != '>' {
				return name, nil, false, false
			}
			s.i += 2
			return name, s.attrs[from:len(s.attrs):len(s.attrs)], true, true
		}
		a, ok := s.attr()
		if !ok {
			return name, nil, false, false
		}
		s.attrs = append(s.attrs, a)
	}
}

// attr scans name='value' (or "value").
func (s *scanner) attr() (xml.Attr, bool) {
	name, ok := s.name()
	if !ok {
		return xml.Attr{}, false
	}
	s.space()
	if s.i >= len(s.in) || s.in[s.i] != '=' {
		return xml.Attr{}, false
	}
	s.i++
	s.space()
	if s.i >= len(s.in) || (s.in[s.i] != '\'' && s.in[s.i] != '"') {
		return xml.Attr{}, false
	}
	quote := s.in[s.i]
	s.i++
	start := s.i
	if !s.text(int(quote)) {
		return xml.Attr{}, false
	}
	value := internBytes(s.in[start:s.i])
	s.i++ // the closing quote
	return xml.Attr{Name: name, Value: value}, true
}

// endTag scans </name>, at s.in[s.i] == '<'.
func (s *scanner) endTag() (xml.Name, bool) {
	s.i += 2
	name, ok := s.name()
	if !ok {
		return name, false
	}
	s.space()
	if s.i >= len(s.in) || s.in[s.i] != '>' {
		return name, false
	}
	s.i++
	return name, true
}

// name scans an ASCII name with at most one colon between a prefix and a
// local part, split as the decoder splits it. A name running into a byte
// outside ASCII (part of the name to the decoder) or into the end of the
// buffer is the decoder's.
func (s *scanner) name() (xml.Name, bool) {
	start, colon := s.i, -1
	if start >= len(s.in) || !isNameStart(s.in[start]) {
		return xml.Name{}, false
	}
	for s.i++; s.i < len(s.in); s.i++ {
		b := s.in[s.i]
		if b == ':' && colon < 0 {
			colon = s.i
		} else if !isNameByte(b) {
			break
		}
	}
	if s.i >= len(s.in) || s.in[s.i] >= utf8.RuneSelf || s.in[s.i] == ':' || colon == s.i-1 {
		return xml.Name{}, false
	}
	if colon < 0 {
		return xml.Name{Local: internBytes(s.in[start:s.i])}, true
	}
	return xml.Name{Space: internBytes(s.in[start:colon]), Local: internBytes(s.in[colon+1 : s.i])}, true
}

func isNameStart(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || b == '_' }

func isNameByte(b byte) bool {
	return isNameStart(b) || '0' <= b && b <= '9' || b == '.' || b == '-'
}

// text advances over character data up to '<' (quote < 0) or the closing
// quote, which it does not consume. It gives up on what the decoder
// would rewrite or refuse: a reference, a carriage return, "]]>" in text,
// '<' in a value, a character outside XML's range, invalid UTF-8, and on
// reaching the end of the buffer first.
func (s *scanner) text(quote int) bool {
	for s.i < len(s.in) {
		b := s.in[s.i]
		if !textSpecial[b] {
			s.i++
			continue
		}
		switch {
		case quote < 0 && b == '<', quote >= 0 && int(b) == quote:
			return true
		case b == '\'' || b == '"' || b == ']' && (quote >= 0 || !bytes.HasPrefix(s.in[s.i:], []byte("]]>"))):
			s.i++
		case b >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.in[s.i:])
			if r == utf8.RuneError && size == 1 || !inCharacterRange(r) {
				return false
			}
			s.i += size
		default: // '&', '\r', '<' in a value, "]]>" in text, a control character
			return false
		}
	}
	return false
}

// textSpecial marks the bytes text must look at: the ends of text and of
// values, what the decoder rewrites or refuses, and the start of "]]>".
var textSpecial = func() (t [256]bool) {
	for b := range 256 {
		t[b] = b < 0x20 && b != '\t' && b != '\n' || b >= utf8.RuneSelf
	}
	for _, b := range []byte("<&'\"]") {
		t[b] = true
	}
	return t
}()

// inCharacterRange is XML 1.0's Char production for what is not ASCII.
func inCharacterRange(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
