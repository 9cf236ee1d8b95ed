package stream

// The restricted XML profile of RFC 6120 §11 beyond what encoding/xml
// checks, and the stream errors the Reader reports for what the decoder
// refuses: the checks on names and attributes, the translation of decoder
// errors, and the helpers that quote the offending input.

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxAttributes bounds attributes (with namespace declarations) per element:
// building a tree costs time quadratic in their number, so one element made
// of attributes could otherwise hold a CPU for a second within the size
// limit. Real stanzas carry a handful.
const maxAttributes = 64

// checkNames refuses what encoding/xml lets through but XML namespaces and
// XMPP forbid: a name with a colon that is not prefix:local (etree would
// silently rename it), and an attribute given twice (which one counts would
// depend on who reads the element).
func checkNames(t xml.StartElement) error {
	if len(t.Attr) > maxAttributes {
		return Errorf(PolicyViolation, "<%s> has %d attributes; at most %d are accepted", qname(t.Name), len(t.Attr), maxAttributes)
	}
	if strings.Contains(t.Name.Local, ":") {
		return Errorf(NotWellFormed, "%q is not a valid element name in XMPP (a prefix and a local name around one colon)", t.Name.Local)
	}
	// A map only for many attributes: comparing each with those before it
	// would cost quadratic time in what one client may send.
	var seen map[xml.Name]bool
	if len(t.Attr) > 8 {
		seen = make(map[xml.Name]bool, len(t.Attr))
	}
	for i, a := range t.Attr {
		if strings.Contains(a.Name.Local, ":") {
			return Errorf(NotWellFormed, "%q is not a valid attribute name in XMPP (a prefix and a local name around one colon)", a.Name.Local)
		}
		dup := seen[a.Name]
		if seen != nil {
			seen[a.Name] = true
		} else {
			dup = slices.ContainsFunc(t.Attr[:i], func(b xml.Attr) bool { return b.Name == a.Name })
		}
		if dup {
			return Errorf(NotWellFormed, "the attribute %q appears twice in <%s>", qname(a.Name), qname(t.Name))
		}
	}
	return nil
}

// translate maps decoder and source errors to stream errors. I/O errors from
// the connection pass through unchanged; every other error is the decoder's
// verdict on the input.
func (r *Reader) translate(err error) error {
	var syn *xml.SyntaxError
	switch {
	case err == r.src.err:
		return err // the connection's own error: io.EOF, a timeout, a reset
	case errors.Is(err, errTooLarge):
		return Errorf(PolicyViolation, "an element is larger than the limit of %d bytes", r.lim.MaxBytes)
	case errors.As(err, &syn):
		msg := syn.Msg
		switch {
		case strings.HasPrefix(msg, "invalid character entity"):
			// encoding/xml in strict mode knows only the five predefined
			// entities and character references: anything else is an
			// entity XMPP forbids (RFC 6120 §11.1).
			return Errorf(RestrictedXML, "only the five predefined XML entities are allowed (%s)", msg)
		case strings.HasPrefix(msg, "unexpected EOF"): // also "… in CDATA section"
			return io.ErrUnexpectedEOF
		}
		return Errorf(NotWellFormed, "the XML is not well-formed: %s", msg)
	case strings.Contains(err.Error(), "CharsetReader"):
		return Errorf(UnsupportedEncoding, "XMPP streams are UTF-8 only")
	}
	var ver string
	if _, scanErr := fmt.Sscanf(err.Error(), "xml: unsupported version %q", &ver); scanErr == nil {
		return Errorf(NotWellFormed, "XMPP streams are XML 1.0 only (the declaration says version %q)", ver)
	}
	return Errorf(NotWellFormed, "the XML is not well-formed: %s", strings.TrimPrefix(err.Error(), "xml: "))
}

// xmlSpace is the whitespace of XML (S in XML 1.0 §2.3): keepalives are made
// of it, and nothing else may stand between elements.
const xmlSpace = " \t\r\n"

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// abbreviate shortens text quoted in an error to about 40 bytes, cutting
// between characters.
func abbreviate(s string) string {
	s = strings.Trim(s, xmlSpace)
	if len(s) > 40 {
		i := 40
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "…"
	}
	return s
}
