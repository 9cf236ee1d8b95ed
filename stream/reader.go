// Package stream turns the bytes of an XMPP stream into events — the opening
// header, each complete depth-1 element, the closing tag — under the
// restricted XML profile of RFC 6120 §11, and writes the server's side.
package stream

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"

	"github.com/beevik/etree"
)

// Kind says what an Event carries.
type Kind int

// The event kinds.
const (
	KindHeader  Kind = iota + 1 // the client's <stream:stream>
	KindElement                 // one complete depth-1 element
	KindClose                   // the client's </stream:stream>
)

func (k Kind) String() string {
	switch k {
	case KindHeader:
		return "header"
	case KindElement:
		return "element"
	case KindClose:
		return "close"
	}
	return "unknown"
}

// Event is one unit of a client's stream.
type Event struct {
	Kind    Kind
	Header  *Header        // KindHeader
	Element *etree.Element // KindElement
	// Space is the namespace URI of Element. An element in the default
	// namespace declared by the header gets that namespace (normally
	// jabber:client); Space is "" only for an element in no namespace: the
	// header declared no default, or the element undeclared it (xmlns='').
	Space string
	// End is the byte offset just past the event's last byte, counted from
	// the start of this Reader's input.
	End int64
}

// Limits bound what one element may cost. Zero means no limit.
type Limits struct {
	MaxBytes int // bytes in one header or depth-1 element; a run of whitespace between elements has a budget of its own
	MaxDepth int // nesting depth of a depth-1 element's tree (1 = no children)
}

// Reader tokenizes one XML stream. Start a new Reader on every stream
// restart and on the TLS connection after STARTTLS.
type Reader struct {
	src    *source      // nil while released (Release)
	dec    *xml.Decoder // made on the first event the scanner leaves to it; nil while released
	scan   *scanner     // while an event the scanner took is read
	in     io.Reader    // what src reads
	size   int          // src's buffer size
	base   int64        // input offset of what the decoder counts from: bytes it never saw (released sources, keepalives, the scanner's events) are counted here
	lim    Limits
	ns     scope
	tokens int      // top-level tokens read; the XML declaration must be the first
	opened bool     // header seen
	stream xml.Name // the header's name, which only the closing tag may use
	closed bool
	err    error // sticky: once the stream is broken it stays broken
}

// NewReader starts a tokenizer on r. bufSize is the read buffer (small for
// idle connections; it is not the element limit).
func NewReader(r io.Reader, lim Limits, bufSize int) *Reader {
	if bufSize <= 0 {
		bufSize = 4096
	}
	rd := &Reader{in: r, size: bufSize, lim: lim}
	rd.reopen()
	return rd
}

// reopen makes the source again after Release (or the first time); the
// decoder comes with the first event the scanner cannot take. Both are
// stateless between events, since every event ends on a '>' and the
// stream's own state (the header, the namespaces in scope) is the Reader's.
func (r *Reader) reopen() {
	if r.src == nil {
		r.src = newSource(r.in, r.size)
	}
}

// Release lets go of the decoder and the read buffer between events while
// nothing is buffered: a session that waits a long time for its client (a
// parked one) then holds neither, about 2 KiB (BENCHMARKS.md), nor the
// room its elements' namespace declarations took in scope. The next
// Fill or Next makes them again. It reports whether it let go: not with
// input buffered, a byte the decoder read ahead, or a broken stream.
func (r *Reader) Release() bool {
	if r.src == nil {
		return true
	}
	if r.err != nil || r.Buffered() > 0 || r.src.err != nil || r.parsed() != r.src.consumed {
		return false
	}
	r.base += r.src.consumed
	r.src.release()
	r.src, r.dec = nil, nil
	r.ns.shrink()
	return true
}

// offset is how far into the input the Reader has parsed.
func (r *Reader) offset() int64 { return r.base + r.parsed() }

// Rest returns the bytes received after the last event that the tokenizer
// has not parsed: after a STARTTLS request they belong to the TLS handshake.
// Call it only right after an event, before Next.
func (r *Reader) Rest() []byte {
	r.reopen()
	return r.src.rest(r.parsed())
}

// Buffered is how many bytes were read from the input and not parsed yet.
// Between events with nothing buffered, the next event starts with bytes
// the input has yet to give (see Fill).
func (r *Reader) Buffered() int {
	if r.src == nil {
		return 0
	}
	return r.src.end - r.src.pos
}

// ErrKeepalive is what Fill returns when the read brought only whitespace
// between two elements: a keepalive (RFC 6120 §4.6.1), taken and counted
// in the offsets, with nothing left for Next. The caller waits again (a
// session that pings with whitespace stays idle); had it called Next, the
// decoder would have waited for the next element deep in its frames.
var ErrKeepalive = errors.New("stream: whitespace keepalive")

// Fill reads once from the input into the empty buffer, outside the XML
// decoder: a connection waits for a client's next burst in Fill's shallow
// frame rather than deep in the decoder. A read that ran into its deadline
// (os.ErrDeadlineExceeded) leaves the Reader as it was; any other error is
// kept for Next, as Next's own would be. A read of whitespace alone between
// elements of an open stream is taken here: ErrKeepalive.
func (r *Reader) Fill() error {
	if r.err != nil {
		return r.err
	}
	r.reopen()
	if err := r.src.fill(); err != nil {
		return err
	}
	if !r.opened || r.closed || r.parsed() != r.src.consumed {
		return nil // before the header, after the close, or a byte read ahead
	}
	in := r.src.buf[r.src.pos:r.src.end]
	if len(bytes.Trim(in, xmlSpace)) > 0 {
		return nil
	}
	// The decoder never sees these bytes: the offsets count them in base.
	r.base += int64(len(in))
	r.src.pos = r.src.end
	return ErrKeepalive
}

// Next returns the next event. Protocol faults are returned as *Error with
// the RFC 6120 condition; I/O errors (io.EOF, timeouts) are returned as is.
func (r *Reader) Next() (Event, error) {
	if r.err != nil {
		return Event{}, r.err
	}
	ev, err := r.next()
	if err != nil {
		r.err = err
	}
	if r.scan != nil { // the event's tokens are in the tree and the header now
		r.scan.put()
		r.scan = nil
	}
	return ev, err
}

func (r *Reader) next() (Event, error) {
	if r.closed {
		return Event{}, io.EOF
	}
	r.reopen()
	if r.lim.MaxBytes > 0 {
		r.src.limit = r.src.consumed + int64(r.lim.MaxBytes)
	}
	if err := r.scanBuffered(); err != nil {
		return Event{}, err
	}
	for {
		tok, err := r.token()
		if err != nil {
			return Event{}, r.translate(err)
		}
		r.tokens++
		switch t := &tok; t.kind {
		case tokProcInst:
			// The XML declaration may open the stream; nothing else may.
			if t.target == "xml" && !r.opened && r.tokens == 1 {
				continue
			}
			return Event{}, t.refused()
		case tokDirective, tokComment:
			return Event{}, t.refused()
		case tokText:
			if len(bytes.Trim(t.text, xmlSpace)) > 0 {
				return Event{}, Errorf(BadFormat, "text outside of any element: %q", abbreviate(string(t.text)))
			}
			// Whitespace between elements is a keepalive: ignore it, and do
			// not charge it to the next element's size budget.
			if r.lim.MaxBytes > 0 {
				r.src.limit = r.src.consumed + int64(r.lim.MaxBytes)
			}
		case tokEnd:
			// The only end tag seen at this level is the stream's own.
			if !r.opened {
				return Event{}, Errorf(NotWellFormed, "closing tag </%s> before the stream was opened", qname(t.name))
			}
			if t.name != r.stream {
				return Event{}, Errorf(NotWellFormed, "</%s> does not close <%s>", qname(t.name), qname(r.stream))
			}
			r.closed = true
			return Event{Kind: KindClose, End: r.offset()}, nil
		case tokStart:
			if !r.opened {
				return r.header(t.start())
			}
			return r.element(t.start())
		}
	}
}

// header declares the stream's namespaces and returns the header event.
func (r *Reader) header(t xml.StartElement) (Event, error) {
	if err := checkNames(t); err != nil {
		return Event{}, err
	}
	h := &Header{Prefix: t.Name.Space, Local: t.Name.Local}
	// The header is kept for the session's life: room for exactly what it has.
	decls := 0
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			decls++
		}
	}
	h.Decls = make(Decls, 0, decls)
	h.Attrs = make([]xml.Attr, 0, len(t.Attr)-decls)
	r.ns.bindings = make([]binding, 0, decls)
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return Event{}, Errorf(NotWellFormed, "the prefix %q cannot be bound to the empty namespace", a.Name.Local)
			}
			prefix, uri := intern(a.Name.Local), intern(a.Value)
			h.Decls.set(prefix, uri)
			r.ns.push(prefix, uri, 0)
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			uri := intern(a.Value)
			h.Decls.set("", uri)
			r.ns.push("", uri, 0)
		default:
			h.Attrs = append(h.Attrs, a)
		}
	}
	uri, _, ok := r.ns.lookup(h.Prefix)
	if !ok {
		return Event{}, Errorf(BadNamespacePrefix, "the stream header uses the undeclared prefix %q", h.Prefix)
	}
	h.Space = uri
	for _, a := range h.Attrs {
		if _, _, ok := r.ns.lookup(a.Name.Space); a.Name.Space != "" && !ok {
			return Event{}, Errorf(BadNamespacePrefix, "the stream header uses the undeclared prefix %q", a.Name.Space)
		}
	}
	r.opened = true
	r.stream = xml.Name{Space: intern(t.Name.Space), Local: intern(t.Name.Local)}
	return Event{Kind: KindHeader, Header: h, End: r.offset()}, nil
}
