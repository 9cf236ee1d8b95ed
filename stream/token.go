package stream

import "encoding/xml"

// token is one XML token as the Reader reads it, from the scanner or from
// the decoder: a struct rather than encoding/xml's interface, so that the
// scanner's tokens are not each copied to the heap to be handed over.
type token struct {
	kind   tokenKind
	name   xml.Name   // a start or end tag's
	attr   []xml.Attr // a start tag's
	text   []byte     // character data, valid until the next token
	target string     // a processing instruction's
}

type tokenKind uint8

const (
	tokStart tokenKind = iota + 1
	tokEnd
	tokText
	tokProcInst
	tokDirective
	tokComment
)

// fromXML turns one of the decoder's tokens into a token.
func fromXML(x xml.Token) token {
	switch t := x.(type) {
	case xml.StartElement:
		return token{kind: tokStart, name: t.Name, attr: t.Attr}
	case xml.EndElement:
		return token{kind: tokEnd, name: t.Name}
	case xml.CharData:
		return token{kind: tokText, text: t}
	case xml.ProcInst:
		return token{kind: tokProcInst, target: t.Target}
	case xml.Directive:
		return token{kind: tokDirective}
	case xml.Comment:
		return token{kind: tokComment}
	}
	return token{}
}

func (t *token) start() xml.StartElement { return xml.StartElement{Name: t.name, Attr: t.attr} }

// refused is the stream error for markup XMPP's restricted XML forbids
// (RFC 6120 §11.1): processing instructions, DTDs and other declarations,
// comments.
func (t *token) refused() error {
	switch t.kind {
	case tokProcInst:
		return Errorf(RestrictedXML, "processing instructions are not allowed in XMPP (<?%s …?>)", t.target)
	case tokDirective:
		return Errorf(RestrictedXML, "a DTD or other <!…> declaration is not allowed in XMPP")
	}
	return Errorf(RestrictedXML, "XML comments are not allowed in XMPP")
}
