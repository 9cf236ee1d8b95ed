package stream

// The tokens the Reader reads, and where they come from: the scanner for
// the events it can take whole from the buffer, else the decoder.

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

// token returns the next token of the event being read: the scanner's
// while it has any, else the decoder's. A scanned event's tokens are all of
// that event's, so the decoder is never asked in the middle of one.
func (r *Reader) token() (token, error) {
	if r.scan != nil && r.scan.next < len(r.scan.toks) {
		r.scan.next++
		return r.scan.toks[r.scan.next-1], nil
	}
	if r.dec == nil {
		r.dec = xml.NewDecoder(r.src)
		r.dec.Strict = true
	}
	t, err := r.dec.RawToken()
	return fromXML(t), err
}

// noScan sends every event through the decoder (the tests that hold the
// scanner to the decoder's results).
var noScan bool

// scanBuffered lets the scanner take the next event from the buffered
// bytes when it can: only on a source the decoder has not read from (a
// decoder holds state the scanner cannot see, such as the end tag it owes
// for a self-closed element), and within the event's byte budget. The
// scanned bytes are taken from the buffer at once, counted in base as the
// decoder never sees them. With nothing buffered it reads first, as the
// decoder would; the read's error is the event's.
func (r *Reader) scanBuffered() error {
	if noScan || r.dec != nil {
		return nil
	}
	if r.Buffered() == 0 {
		if err := r.src.fill(); err != nil {
			return err
		}
	}
	in := r.src.buf[r.src.pos:r.src.end]
	if r.lim.MaxBytes > 0 && len(in) > r.lim.MaxBytes {
		in = in[:r.lim.MaxBytes]
	}
	s := scanners.Get().(*scanner)
	if !s.event(in, r.opened, r.tokens == 0) {
		s.put()
		return nil
	}
	r.scan = s
	r.src.pos += s.i
	r.base += int64(s.i)
	return nil
}

// parsed is how far into the source the decoder has parsed: the bytes it
// consumed, less one it may have read ahead.
func (r *Reader) parsed() int64 {
	if r.dec == nil {
		return r.src.consumed
	}
	return r.dec.InputOffset()
}
