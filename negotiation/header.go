package negotiation

import (
	"bytes"
	"strconv"
	"strings"

	"jabberd/stream"
)

// checkHeader validates the client's header and returns the dialect it
// chose, or the stream error that ends the stream.
func (m *Machine) checkHeader(h *stream.Header) (Dialect, *stream.Error) {
	if h.Local != "stream" || h.Space != stream.NSStreams {
		return 0, stream.Errorf(stream.InvalidNamespace, "the stream must open with <stream:stream> in namespace %s", stream.NSStreams)
	}
	switch ns, _ := h.Decls.Get(""); ns {
	case stream.NSClient:
	case "":
		return 0, stream.Errorf(stream.InvalidNamespace, "the stream header declares no content namespace; this port expects xmlns='%s'", stream.NSClient)
	default:
		return 0, stream.Errorf(stream.InvalidNamespace, "the content namespace %q is not served here; this port expects %s", ns, stream.NSClient)
	}
	if to := h.Attr("to"); to != "" && !strings.EqualFold(to, m.cfg.Domain) {
		return 0, stream.Errorf(stream.HostUnknown, "this server does not serve %q", to)
	}
	if !h.HasAttr("version") {
		return Legacy, nil
	}
	major, _, ok := parseVersion(h.Attr("version"))
	switch {
	case !ok:
		return 0, stream.Errorf(stream.UnsupportedVersion, "%q is not a stream version (expected \"1.0\")", h.Attr("version"))
	case major > 1:
		return 0, stream.Errorf(stream.UnsupportedVersion, "stream version %s is not supported; this server speaks 1.0", h.Attr("version"))
	case major == 1:
		return RFC6120, nil
	}
	return Legacy, nil // version='0.x': the pre-1.0 protocol
}

// xmlDecl opens every RFC 6120 stream the server sends.
const xmlDecl = "<?xml version='1.0'?>"

// parseVersion reads "major.minor" (RFC 6120 §4.7.5: each part a number).
func parseVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(a)
	mi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return 0, 0, false
	}
	return ma, mi, true
}

// writeServerHeader writes the answer to the client's header. Legacy headers echo
// the declarations of the features the client asked for and that are offered;
// RFC 6120 headers carry version and xml:lang.
func (m *Machine) writeServerHeader(b *bytes.Buffer, h *stream.Header) {
	attrs := make([]stream.Attr, 0, 9) // the most a header has: no growth
	attrs = append(attrs,
		stream.Attr{Key: "xmlns", Value: stream.NSClient},
		stream.Attr{Key: "xmlns:stream", Value: stream.NSStreams},
	)
	for _, f := range features {
		if f.LegacyNS == "" || !(f.offered(m) || (f.EchoLegacy != nil && f.EchoLegacy(m))) {
			continue
		}
		if p, ok := m.legacyPrefix(f.LegacyNS); ok {
			attrs = append(attrs, stream.Attr{Key: "xmlns:" + p, Value: f.LegacyNS})
		}
	}
	attrs = append(attrs, stream.Attr{Key: "id", Value: m.streamID}, stream.Attr{Key: "from", Value: m.cfg.Domain})
	if m.dialect == RFC6120 {
		if from := h.Attr("from"); from != "" {
			attrs = append(attrs, stream.Attr{Key: "to", Value: from})
		}
		attrs = append(attrs, stream.Attr{Key: "version", Value: "1.0"})
		lang := h.Attr("xml:lang")
		if lang == "" {
			lang = "en"
		}
		attrs = append(attrs, stream.Attr{Key: "xml:lang", Value: lang})
		// RFC 6120 §11.5: an XML declaration SHOULD precede the header,
		// and some clients wait for it (gnutls-cli reads until "<?").
		// Legacy streams get the header exactly as XEP-0035 shows it.
		b.WriteString(xmlDecl)
	}
	stream.WriteOpenTag(b, attrs...)
}

// errorHeader is sent before a stream error when no header was sent yet
// (RFC 6120 §4.9.1.1): a plain one in the client's dialect, echoing nothing.
func (m *Machine) errorHeader() []byte {
	attrs := []stream.Attr{
		{Key: "xmlns", Value: stream.NSClient},
		{Key: "xmlns:stream", Value: stream.NSStreams},
		{Key: "id", Value: m.streamID},
		{Key: "from", Value: m.cfg.Domain},
	}
	if m.dialect != Legacy {
		attrs = append(attrs, stream.Attr{Key: "version", Value: "1.0"})
		return append([]byte(xmlDecl), stream.OpenTag(attrs...)...)
	}
	return stream.OpenTag(attrs...)
}

// legacyPrefixes are the prefixes the server uses for the legacy namespaces
// when it cannot echo the client's.
var legacyPrefixes = map[string]string{
	"http://www.ietf.org/rfc/rfc2595.txt":             "tls",
	"http://www.iana.org/assignments/sasl-mechanisms": "sasl",
	NSSM: "sm",
}

// legacyPrefix returns the prefix under which the server's header declares
// a legacy namespace the client declared: the client's own, unless it would
// clash with the server's declarations (stream, xml, xmlns, the default),
// then the usual one. ok is false when the client did not declare it.
func (m *Machine) legacyPrefix(uri string) (string, bool) {
	def := legacyPrefixes[uri]
	p, ok := m.decls.PrefixFor(uri, def)
	if !ok {
		return "", false
	}
	switch p {
	case "", "stream", "xml", "xmlns":
		return def, true
	}
	for other, d := range legacyPrefixes {
		if other != uri && p == d {
			return def, true // the client swapped the usual prefixes
		}
	}
	return p, true
}
