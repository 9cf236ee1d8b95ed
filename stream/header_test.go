package stream

import (
	"encoding/xml"
	"io"
	"maps"
	"reflect"
	"testing"
)

// TestHeader checks the opening tag is reported as sent: name, plain
// attributes in order, and namespace declarations as a prefix → URI map.
func TestHeader(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		prefix string
		local  string
		space  string
		attrs  []xml.Attr
		decls  map[string]string
	}{
		{
			name:   "legacy with tls prefix",
			in:     hdr,
			prefix: "stream", local: "stream", space: NSStreams,
			attrs: []xml.Attr{{Name: xml.Name{Local: "to"}, Value: "localhost"}},
			decls: map[string]string{"": NSClient, "stream": NSStreams, "tls": nsLegacyTLS},
		},
		{
			name:   "rfc6120 with version and xml:lang",
			in:     "<stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>",
			prefix: "stream", local: "stream", space: NSStreams,
			attrs: []xml.Attr{
				{Name: xml.Name{Local: "to"}, Value: "example.com"},
				{Name: xml.Name{Local: "version"}, Value: "1.0"},
				{Name: xml.Name{Space: "xml", Local: "lang"}, Value: "en"},
			},
			decls: map[string]string{"": NSClient, "stream": NSStreams},
		},
		{
			name:   "XML declaration first, double quotes, newlines",
			in:     "<?xml version='1.0' encoding='UTF-8'?>\n<stream:stream\n xmlns=\"jabber:client\"\n xmlns:stream=\"http://etherx.jabber.org/streams\">",
			prefix: "stream", local: "stream", space: NSStreams,
			decls: map[string]string{"": NSClient, "stream": NSStreams},
		},
		{
			name:   "lower-case utf-8 declaration",
			in:     "<?xml version='1.0' encoding='utf-8'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
			prefix: "stream", local: "stream", space: NSStreams,
			decls: map[string]string{"stream": NSStreams},
		},
		{
			name:   "other prefix for the streams namespace",
			in:     "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'>",
			prefix: "s", local: "stream", space: NSStreams,
			decls: map[string]string{"": NSClient, "s": NSStreams},
		},
		{
			name:  "unprefixed header in the default namespace",
			in:    "<stream xmlns='http://etherx.jabber.org/streams'>",
			local: "stream", space: NSStreams,
			decls: map[string]string{"": NSStreams},
		},
		{
			name:  "no namespace at all (the machine refuses it, the tokenizer does not)",
			in:    "<stream>",
			local: "stream",
			decls: map[string]string{},
		},
		{
			name:   "empty attribute value",
			in:     "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version=''>",
			prefix: "stream", local: "stream", space: NSStreams,
			attrs: []xml.Attr{{Name: xml.Name{Local: "version"}, Value: ""}},
			decls: map[string]string{"stream": NSStreams},
		},
		{
			name:   "entities in attribute values are decoded",
			in:     "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' from='a&amp;b&#x40;c&lt;&apos;'>",
			prefix: "stream", local: "stream", space: NSStreams,
			attrs: []xml.Attr{{Name: xml.Name{Local: "from"}, Value: "a&b@c<'"}},
			decls: map[string]string{"stream": NSStreams},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := parse(tt.in, testLimits, 64)
			checkError(t, err, io.EOF)
			if len(evs) != 1 || evs[0].Kind != KindHeader {
				t.Fatalf("events %v, want one header", evs)
			}
			ev := evs[0]
			h := ev.Header
			if ev.End != int64(len(tt.in)) {
				t.Errorf("End = %d, want %d (the whole input)", ev.End, len(tt.in))
			}
			if ev.Element != nil || ev.Space != "" {
				t.Errorf("header event carries Element %v / Space %q", ev.Element, ev.Space)
			}
			if h.Prefix != tt.prefix || h.Local != tt.local || h.Space != tt.space {
				t.Errorf("name = %q:%q in %q, want %q:%q in %q", h.Prefix, h.Local, h.Space, tt.prefix, tt.local, tt.space)
			}
			if len(h.Attrs) != 0 || len(tt.attrs) != 0 {
				if !reflect.DeepEqual(h.Attrs, tt.attrs) {
					t.Errorf("Attrs = %#v\nwant %#v", h.Attrs, tt.attrs)
				}
			}
			if !maps.Equal(h.Decls.Map(), tt.decls) {
				t.Errorf("Decls = %v, want %v", h.Decls, tt.decls)
			}
		})
	}
}

// TestHeaderLookups covers Attr, HasAttr, Declares and PrefixFor.
func TestHeaderLookups(t *testing.T) {
	in := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
		" xmlns:tls='" + nsLegacyTLS + "' xmlns:t2='" + nsLegacyTLS + "' xmlns:sasl='http://www.iana.org/assignments/sasl-mechanisms'" +
		" to='example.com' version='' xml:lang='de'>"
	evs, err := parse(in, testLimits, 64)
	if err != io.EOF || len(evs) != 1 {
		t.Fatalf("events %v, err %v", evs, err)
	}
	h := evs[0].Header

	for _, c := range []struct {
		name, value string
		has         bool
	}{
		{"to", "example.com", true},
		{"version", "", true},
		{"xml:lang", "de", true},
		{"lang", "", false}, // the prefix is part of the name
		{"from", "", false},
		{"xmlns", "", false}, // declarations are not attributes
		{"xmlns:tls", "", false},
		{"tls", "", false},
	} {
		if got := h.Attr(c.name); got != c.value {
			t.Errorf("Attr(%q) = %q, want %q", c.name, got, c.value)
		}
		if got := h.HasAttr(c.name); got != c.has {
			t.Errorf("HasAttr(%q) = %v, want %v", c.name, got, c.has)
		}
	}

	for uri, want := range map[string]bool{
		NSClient:    true, // the default namespace counts
		NSStreams:   true,
		nsLegacyTLS: true,
		"http://www.iana.org/assignments/sasl-mechanisms": true,
		nsTLS: false,
		"":    false,
		"tls": false, // a prefix is not a URI
	} {
		if got := h.Declares(uri); got != want {
			t.Errorf("Declares(%q) = %v, want %v", uri, got, want)
		}
	}

	for _, c := range []struct {
		uri, want, prefix string
		ok                bool
	}{
		{nsLegacyTLS, "tls", "tls", true},
		{nsLegacyTLS, "t2", "t2", true},
		// No preference, or a preference not bound to uri: the first
		// prefix in byte order, so that the answer never changes.
		{nsLegacyTLS, "", "t2", true},
		{nsLegacyTLS, "sasl", "t2", true},
		{nsLegacyTLS, "nope", "t2", true},
		{"http://www.iana.org/assignments/sasl-mechanisms", "", "sasl", true},
		{NSStreams, "", "stream", true},
		// The default namespace has no prefix to give.
		{NSClient, "", "", false},
		{nsTLS, "tls", "", false},
		// An undeclared preference is not bound to the empty URI.
		{"", "nope", "", false},
		{"", "", "", false},
	} {
		p, ok := h.PrefixFor(c.uri, c.want)
		if p != c.prefix || ok != c.ok {
			t.Errorf("PrefixFor(%q, %q) = %q, %v; want %q, %v", c.uri, c.want, p, ok, c.prefix, c.ok)
		}
	}
}

// TestPrefixForIsDeterministic guards against answering from map order: the
// server echoes the prefix in its header, and transcripts must not flake.
func TestPrefixForIsDeterministic(t *testing.T) {
	h := &Header{Decls: Decls{{"e", "u"}, {"c", "u"}, {"a", "u"}, {"d", "u"}, {"b", "u"}, {"", "u"}}}
	for range 100 {
		if p, ok := h.PrefixFor("u", ""); p != "a" || !ok {
			t.Fatalf("PrefixFor = %q, %v; want \"a\", true", p, ok)
		}
	}
}

// TestOpenTag checks the server's header: attributes in order, values
// escaped for single quotes, and the tag left open.
func TestOpenTag(t *testing.T) {
	got := string(OpenTag(
		Attr{"xmlns", NSClient},
		Attr{"xmlns:stream", NSStreams},
		Attr{"id", "a'b\"c<d&e>f"},
		Attr{"from", "line\nbreak\ttab\rcr"},
	))
	want := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
		" id='a&apos;b&quot;c&lt;d&amp;e>f' from='line&#xA;break&#x9;tab&#xD;cr'>"
	if got != want {
		t.Errorf("OpenTag =\n  %s\nwant\n  %s", got, want)
	}
	if got := string(OpenTag()); got != "<stream:stream>" {
		t.Errorf("OpenTag() = %s", got)
	}
	if CloseTag != "</stream:stream>" {
		t.Errorf("CloseTag = %s", CloseTag)
	}
	// What the server writes, a client parses back to the same values.
	evs, err := parse(want, testLimits, 64)
	if err != io.EOF || len(evs) != 1 {
		t.Fatalf("events %v, err %v", evs, err)
	}
	h := evs[0].Header
	if h.Attr("id") != "a'b\"c<d&e>f" || h.Attr("from") != "line\nbreak\ttab\rcr" {
		t.Errorf("parsed back id=%q from=%q", h.Attr("id"), h.Attr("from"))
	}
}
