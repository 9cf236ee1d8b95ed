package stream

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// TestElements checks each depth-1 element comes back as a tree that
// serializes to the expected bytes, with its namespace resolved.
func TestElements(t *testing.T) {
	const (
		noDefault = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"
		tlsDecl   = " xmlns:tls='" + nsLegacyTLS + "'"
	)
	tests := []struct {
		name   string
		header string // hdr unless set
		in     string
		out    string // Marshal of the element; in when empty
		space  string
	}{
		// The default namespace inherited from the header is resolved, and not
		// copied onto the element: the element is written back into a
		// jabber:client stream, where it is already in force.
		{name: "default namespace from header", in: "<message/>", space: NSClient},
		{name: "no default namespace anywhere", header: noDefault, in: "<message/>", space: ""},
		// A prefix declared only in the header is declared on the element, so
		// the tree stands alone.
		{name: "legacy starttls", in: "<tls:starttls/>", out: "<tls:starttls" + tlsDecl + "/>", space: nsLegacyTLS},
		{name: "legacy starttls with end tag", in: "<tls:starttls></tls:starttls>", out: "<tls:starttls" + tlsDecl + "/>", space: nsLegacyTLS},
		{name: "own prefix for the legacy namespace", in: "<t:starttls xmlns:t='" + nsLegacyTLS + "'/>", space: nsLegacyTLS},
		{name: "element redeclares a header prefix", in: "<tls:starttls xmlns:tls='urn:other'/>", space: "urn:other"},
		{name: "rfc6120 starttls", in: "<starttls xmlns='" + nsTLS + "'/>", space: nsTLS},
		{name: "stream prefix from header", in: "<stream:features/>", out: "<stream:features xmlns:stream='" + NSStreams + "'/>", space: NSStreams},
		{name: "explicitly no namespace", in: "<message xmlns=''/>", space: ""},
		{
			name:  "children with their own default namespace",
			in:    "<iq type='get' id='a1'><query xmlns='jabber:iq:auth'><username>rob</username></query></iq>",
			space: NSClient,
		},
		{
			name:  "header prefix used only by a child is declared once on the root",
			in:    "<tls:a><tls:b><tls:c/></tls:b><x tls:attr='1'/></tls:a>",
			out:   "<tls:a" + tlsDecl + "><tls:b><tls:c/></tls:b><x tls:attr='1'/></tls:a>",
			space: nsLegacyTLS,
		},
		{
			name:  "header prefix on a child's attribute",
			in:    "<message><body tls:x='1'>hi</body></message>",
			out:   "<message" + tlsDecl + "><body tls:x='1'>hi</body></message>",
			space: NSClient,
		},
		{
			name:  "header prefix after an inner redeclaration went out of scope",
			in:    "<message><tls:a xmlns:tls='urn:inner'/><tls:b/></message>",
			out:   "<message" + tlsDecl + "><tls:a xmlns:tls='urn:inner'/><tls:b/></message>",
			space: NSClient,
		},
		{
			name:  "prefixed attributes with their own declaration",
			in:    "<a xmlns:x='urn:x' x:y='1' z='2'><b x:q='3'/></a>",
			space: NSClient,
		},
		{name: "xml prefix needs no declaration", in: "<message xml:lang='en'><body xml:lang='fr'>salut</body></message>", space: NSClient},
		{
			name:  "text, nested children and whitespace preserved",
			in:    "<message to='a@b' type='chat'>\n  <body>hello <b>big</b> world</body>\n  <thread>t1</thread>\n</message>",
			space: NSClient,
		},
		{
			name:  "double-quoted attributes come back single-quoted",
			in:    `<message to="a@b" id="x'y"/>`,
			out:   `<message to='a@b' id='x&apos;y'/>`,
			space: NSClient,
		},
		{
			name:  "the five predefined entities and character references",
			in:    "<a v='&lt;&gt;&amp;&apos;&quot;&#65;'>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;</a>",
			out:   "<a v='&lt;>&amp;&apos;&quot;A'>&lt;&gt;&amp;'\"AB\U0001F600</a>",
			space: NSClient,
		},
		{name: "CDATA is text", in: "<a><![CDATA[<b>&amp;]]></a>", out: "<a>&lt;b&gt;&amp;amp;</a>", space: NSClient},
		{name: "line ends normalized", in: "<a x='1\r\n2'>3\r\n4\r5</a>", out: "<a x='1&#xA;2'>3\n4\n5</a>", space: NSClient},
		{
			name:  "a carriage return by reference survives re-serialization",
			in:    "<a x='&#13;&#9;&#10;'>&#13;</a>",
			out:   "<a x='&#xD;&#x9;&#xA;'>&#xD;</a>",
			space: NSClient,
		},
		{name: "non-ASCII names and text", in: "<ü xmlns='urn:ü'>ß</ü>", space: "urn:ü"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := tt.header
			if header == "" {
				header = hdr
			}
			want := tt.out
			if want == "" {
				want = tt.in
			}
			for _, size := range []int{1, 64, 4096} {
				evs, err := parse(header+tt.in, testLimits, size)
				checkError(t, err, io.EOF)
				if len(evs) != 2 || evs[1].Kind != KindElement {
					t.Fatalf("buffer %d: events %v, want header and element", size, evs)
				}
				ev := evs[1]
				if got := string(Marshal(ev.Element)); got != want {
					t.Errorf("buffer %d: element\n  %s\nwant\n  %s", size, got, want)
				}
				if ev.Space != tt.space {
					t.Errorf("buffer %d: Space = %q, want %q", size, ev.Space, tt.space)
				}
				if ev.End != int64(len(header+tt.in)) {
					t.Errorf("buffer %d: End = %d, want %d", size, ev.End, len(header+tt.in))
				}
				if ev.Header != nil {
					t.Errorf("element event carries a header")
				}
			}
		})
	}
}

// TestEventSequence checks kinds and exact End offsets over a whole stream,
// keepalives included, and that nothing is read past the closing tag.
func TestEventSequence(t *testing.T) {
	decl := "<?xml version='1.0'?>\n"
	parts := []struct {
		text string
		kind Kind // 0: not an event of its own
	}{
		{decl, 0},
		{hdr, KindHeader},
		{"<tls:starttls/>", KindElement},
		{" \n\t\r\n ", 0},
		{"<message><body>é</body></message>", KindElement},
		{"<a/>", KindElement},
		{"\n", 0},
		{"</stream:stream>", KindClose},
	}
	var in string
	var wantEnds []int64
	var wantKinds []Kind
	for _, p := range parts {
		in += p.text
		if p.kind != 0 {
			wantEnds = append(wantEnds, int64(len(in)))
			wantKinds = append(wantKinds, p.kind)
		}
	}
	trailer := "junk that is never read <<<"
	for _, size := range []int{1, 2, 7, 64, 4096} {
		src := strings.NewReader(in + trailer)
		r := NewReader(src, testLimits, size)
		evs, err := drain(r)
		checkError(t, err, io.EOF)
		if len(evs) != len(wantKinds) {
			t.Fatalf("buffer %d: %d events, want %d", size, len(evs), len(wantKinds))
		}
		for i, ev := range evs {
			if ev.Kind != wantKinds[i] || ev.End != wantEnds[i] {
				t.Errorf("buffer %d: event %d = %s at %d, want %s at %d", size, i, ev.Kind, ev.End, wantKinds[i], wantEnds[i])
			}
		}
		// After the close, Next keeps saying io.EOF and reads nothing more.
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("buffer %d: Next after close = %v, want io.EOF", size, err)
		}
		unread, _ := io.ReadAll(src)
		if got := string(r.Rest()) + string(unread); got != trailer {
			t.Errorf("buffer %d: after close, left %q, want %q", size, got, trailer)
		}
	}
}

// TestKindString names each kind for logs.
func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindHeader: "header", KindElement: "element", KindClose: "close", 0: "unknown", 99: "unknown"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

// TestFaults checks every kind of bad input ends the stream with the
// matching condition and text, after exactly the events before the fault.
func TestFaults(t *testing.T) {
	restricted := func(text string) error { return &Error{RestrictedXML, text} }
	malformed := func(text string) error { return &Error{NotWellFormed, "the XML is not well-formed: " + text} }
	notWF := func(text string) error { return &Error{NotWellFormed, text} }
	prefix := func(p string) error {
		return &Error{BadNamespacePrefix, "the prefix \"" + p + "\" is used but was never declared"}
	}
	const (
		dtd     = "a DTD or other <!…> declaration is not allowed in XMPP"
		comment = "XML comments are not allowed in XMPP"
	)
	tests := []struct {
		name   string
		in     string // the whole input
		lim    Limits // testLimits when zero
		events int    // events before the error
		err    error
	}{
		// Restricted XML (RFC 6120 §11.1).
		{"DTD before the header", "<!DOCTYPE stream [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>" + hdr, Limits{}, 0, restricted(dtd)},
		{"DTD after the declaration", "<?xml version='1.0'?><!DOCTYPE stream>" + hdr, Limits{}, 0, restricted(dtd)},
		{"DTD between elements", hdr + "<!DOCTYPE x>", Limits{}, 1, restricted(dtd)},
		{"DTD inside an element", hdr + "<a><!DOCTYPE x></a>", Limits{}, 1, restricted(dtd)},
		{"ENTITY declaration", hdr + "<!ENTITY xxe 'boom'>", Limits{}, 1, restricted(dtd)},
		{"processing instruction at top level", hdr + "<?php system('id'); ?>", Limits{}, 1,
			restricted("processing instructions are not allowed in XMPP (<?php …?>)")},
		{"processing instruction before the header", "<?xml-stylesheet href='x'?>" + hdr, Limits{}, 0,
			restricted("processing instructions are not allowed in XMPP (<?xml-stylesheet …?>)")},
		{"processing instruction inside an element", hdr + "<a><?pi x?></a>", Limits{}, 1,
			restricted("processing instructions are not allowed in XMPP (<?pi …?>)")},
		{"XML declaration after the header", hdr + "<?xml version='1.0'?>", Limits{}, 1,
			restricted("processing instructions are not allowed in XMPP (<?xml …?>)")},
		{"XML declaration after whitespace", " <?xml version='1.0'?>" + hdr, Limits{}, 0,
			restricted("processing instructions are not allowed in XMPP (<?xml …?>)")},
		{"second XML declaration", "<?xml version='1.0'?><?xml version='1.0'?>" + hdr, Limits{}, 0,
			restricted("processing instructions are not allowed in XMPP (<?xml …?>)")},
		{"XML declaration inside an element", hdr + "<a><?xml version='1.0'?></a>", Limits{}, 1,
			restricted("processing instructions are not allowed in XMPP (<?xml …?>)")},
		{"comment before the header", "<!-- hi -->" + hdr, Limits{}, 0, restricted(comment)},
		{"comment at top level", hdr + "<a/><!-- hi --><b/>", Limits{}, 2, restricted(comment)},
		{"comment nested", hdr + "<a><b><!-- hi --></b></a>", Limits{}, 1, restricted(comment)},
		{"undeclared entity in text", hdr + "<message><body>&xxe;</body></message>", Limits{}, 1,
			restricted("only the five predefined XML entities are allowed (invalid character entity &xxe;)")},
		{"undeclared entity in an attribute", hdr + "<message to='&xxe;'/>", Limits{}, 1,
			restricted("only the five predefined XML entities are allowed (invalid character entity &xxe;)")},
		{"undeclared entity at top level", hdr + "&xxe;", Limits{}, 1,
			restricted("only the five predefined XML entities are allowed (invalid character entity &xxe;)")},
		{"HTML entity", hdr + "<a>&nbsp;</a>", Limits{}, 1,
			restricted("only the five predefined XML entities are allowed (invalid character entity &nbsp;)")},

		// Well-formedness.
		{"mismatched end tag", hdr + "<a><b></a></b>", Limits{}, 1, notWF("</a> does not close <b>")},
		{"mismatched prefix", hdr + "<tls:a></a>", Limits{}, 1, notWF("</a> does not close <tls:a>")},
		{"stream closed inside an element", hdr + "<a></stream:stream>", Limits{}, 1, notWF("</stream:stream> does not close <a>")},
		{"end tag before the header", "</stream:stream>", Limits{}, 0, notWF("closing tag </stream:stream> before the stream was opened")},
		{"wrong end tag for the stream", hdr + "<a/></message>", Limits{}, 2, notWF("</message> does not close <stream:stream>")},
		{"stream end tag with the wrong prefix", hdr + "</s:stream>", Limits{}, 1, notWF("</s:stream> does not close <stream:stream>")},
		{"unquoted attribute", hdr + "<a x=1/>", Limits{}, 1, malformed("unquoted or missing attribute value in element")},
		{"attribute without value", hdr + "<a x/>", Limits{}, 1, malformed("attribute name without = in element")},
		{"attribute without name", hdr + "<a ='1'/>", Limits{}, 1, malformed("expected attribute name in element")},
		{"lone <", hdr + "< a/>", Limits{}, 1, malformed("expected element name after <")},
		{"< in attribute value", hdr + "<a x='<'/>", Limits{}, 1, malformed("unescaped < inside quoted string")},
		{"bare ampersand", hdr + "<a>a & b</a>", Limits{}, 1, restricted("only the five predefined XML entities are allowed (invalid character entity & (no semicolon))")},
		{"]]> in text", hdr + "<a>]]></a>", Limits{}, 1, malformed("unescaped ]]> not in CDATA section")},
		{"invalid UTF-8", hdr + "<a>\xff</a>", Limits{}, 1, malformed("invalid UTF-8")},
		{"NUL by reference", hdr + "<a>&#0;</a>", Limits{}, 1, malformed("illegal character code U+0000")},
		{"control character", hdr + "<a>\x01</a>", Limits{}, 1, malformed("illegal character code U+0001")},
		{"three-part name", hdr + "<a:b:c/>", Limits{}, 1, malformed("expected element name after <")},
		{"name starting with a colon", hdr + "<:a/>", Limits{}, 1, notWF("\":a\" is not a valid element name in XMPP (a prefix and a local name around one colon)")},
		{"name ending with a colon", hdr + "<a:/>", Limits{}, 1, notWF("\"a:\" is not a valid element name in XMPP (a prefix and a local name around one colon)")},
		{"attribute name starting with a colon", hdr + "<a :x='1'/>", Limits{}, 1, notWF("\":x\" is not a valid attribute name in XMPP (a prefix and a local name around one colon)")},
		{"header name with a stray colon", "<stream: xmlns:stream='" + NSStreams + "'>", Limits{}, 0, notWF("\"stream:\" is not a valid element name in XMPP (a prefix and a local name around one colon)")},
		{"duplicate attribute", hdr + "<iq to='a@b' to='evil@b'/>", Limits{}, 1, notWF("the attribute \"to\" appears twice in <iq>")},
		{"duplicate prefixed attribute", hdr + "<iq xml:lang='en' xml:lang='fr'/>", Limits{}, 1, notWF("the attribute \"xml:lang\" appears twice in <iq>")},
		{"duplicate declaration", hdr + "<a xmlns:p='u' xmlns:p='v'/>", Limits{}, 1, notWF("the attribute \"xmlns:p\" appears twice in <a>")},
		{"duplicate among many attributes", hdr + "<a a0='' a1='' a2='' a3='' a4='' a5='' a6='' a7='' a8='' a9='' a5=''/>", Limits{}, 1, notWF("the attribute \"a5\" appears twice in <a>")},
		{"duplicate attribute in a child", hdr + "<a><b x='1' x='1'/></a>", Limits{}, 1, notWF("the attribute \"x\" appears twice in <b>")},
		{"duplicate header attribute", "<stream:stream xmlns:stream='" + NSStreams + "' to='a' to='b'>", Limits{}, 0,
			notWF("the attribute \"to\" appears twice in <stream:stream>")},
		{"duplicate header declaration", "<stream:stream xmlns:stream='" + NSStreams + "' xmlns='jabber:client' xmlns='jabber:server'>", Limits{}, 0,
			notWF("the attribute \"xmlns\" appears twice in <stream:stream>")},
		{"prefix bound to nothing", hdr + "<a xmlns:p=''/>", Limits{}, 1, notWF("the prefix \"p\" cannot be bound to the empty namespace")},
		{"prefix bound to nothing in the header", "<stream:stream xmlns:stream='" + NSStreams + "' xmlns:p=''>", Limits{}, 0,
			notWF("the prefix \"p\" cannot be bound to the empty namespace")},
		{"XML 1.1", "<?xml version='1.1'?>" + hdr, Limits{}, 0, &Error{NotWellFormed, "XMPP streams are XML 1.0 only (the declaration says version \"1.1\")"}},

		// Namespaces.
		{"unbound element prefix", hdr + "<foo:bar/>", Limits{}, 1, prefix("foo")},
		{"unbound attribute prefix", hdr + "<a foo:x='1'/>", Limits{}, 1, prefix("foo")},
		{"unbound prefix on a child", hdr + "<a><b><foo:c/></b></a>", Limits{}, 1, prefix("foo")},
		{"unbound prefix on a child's attribute", hdr + "<a><b foo:x='1'/></a>", Limits{}, 1, prefix("foo")},
		{"prefix used after its scope ended", hdr + "<a><b xmlns:p='urn:p'/><p:c/></a>", Limits{}, 1, prefix("p")},
		{"prefix from an earlier element", hdr + "<a xmlns:p='urn:p'/><p:b/>", Limits{}, 2, prefix("p")},
		{"unbound header prefix", "<stream:stream xmlns='jabber:client'>", Limits{}, 0,
			&Error{BadNamespacePrefix, "the stream header uses the undeclared prefix \"stream\""}},
		{"unbound header attribute prefix", "<stream:stream xmlns:stream='" + NSStreams + "' foo:x='1'>", Limits{}, 0,
			&Error{BadNamespacePrefix, "the stream header uses the undeclared prefix \"foo\""}},

		// Text outside elements.
		{"text before the header", "hello" + hdr, Limits{}, 0, &Error{BadFormat, "text outside of any element: \"hello\""}},
		{"text at top level", hdr + "<a/> hello <b/>", Limits{}, 2, &Error{BadFormat, "text outside of any element: \"hello\""}},
		{"long text at top level is abbreviated", hdr + strings.Repeat("x", 100) + "<a/>", Limits{}, 1,
			&Error{BadFormat, "text outside of any element: \"" + strings.Repeat("x", 40) + "…\""}},
		{"abbreviated between characters", hdr + strings.Repeat("x", 39) + "éé<a/>", Limits{}, 1,
			&Error{BadFormat, "text outside of any element: \"" + strings.Repeat("x", 39) + "…\""}},
		{"quoted text is trimmed of XML whitespace only", hdr + "\n\u00a0x\u00a0\t<a/>", Limits{}, 1, &Error{BadFormat, `text outside of any element: "\u00a0x\u00a0"`}},
		{"entity text at top level", hdr + "&amp;", Limits{}, 1, &Error{BadFormat, "text outside of any element: \"&\""}},
		{"no-break space is not whitespace", hdr + "\u00a0<a/>", Limits{}, 1, &Error{BadFormat, `text outside of any element: "\u00a0"`}},
		{"CDATA at top level", hdr + "<![CDATA[x]]>", Limits{}, 1, &Error{BadFormat, "text outside of any element: \"x\""}},

		// Encoding.
		{"Latin-1 declared", "<?xml version='1.0' encoding='ISO-8859-1'?>" + hdr, Limits{}, 0, &Error{UnsupportedEncoding, "XMPP streams are UTF-8 only"}},
		{"UTF-16 declared", "<?xml version='1.0' encoding='UTF-16'?>" + hdr, Limits{}, 0, &Error{UnsupportedEncoding, "XMPP streams are UTF-8 only"}},

		// End of input.
		{"nothing at all", "", Limits{}, 0, io.EOF},
		{"only whitespace", " \n ", Limits{}, 0, io.EOF},
		{"only the declaration", "<?xml version='1.0'?>", Limits{}, 0, io.EOF},
		{"inside the header", hdr[:20], Limits{}, 0, io.ErrUnexpectedEOF},
		{"inside the declaration", "<?xml vers", Limits{}, 0, io.ErrUnexpectedEOF},
		{"between elements", hdr + "<a/> ", Limits{}, 2, io.EOF},
		{"inside a start tag", hdr + "<message to='a", Limits{}, 1, io.ErrUnexpectedEOF},
		{"after a start tag", hdr + "<message>", Limits{}, 1, io.ErrUnexpectedEOF},
		{"inside text", hdr + "<message><body>hel", Limits{}, 1, io.ErrUnexpectedEOF},
		{"after a child", hdr + "<message><body>x</body>", Limits{}, 1, io.ErrUnexpectedEOF},
		{"inside an end tag", hdr + "<message></mess", Limits{}, 1, io.ErrUnexpectedEOF},
		{"inside CDATA", hdr + "<a><![CDATA[abc", Limits{}, 1, io.ErrUnexpectedEOF},
		{"inside a comment", hdr + "<a><!-- abc", Limits{}, 1, io.ErrUnexpectedEOF},
		{"inside the closing tag", hdr + "</stream:str", Limits{}, 1, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := tt.lim
			if lim == (Limits{}) {
				lim = testLimits
			}
			for _, size := range []int{1, 7, 4096} {
				evs, err := parse(tt.in, lim, size)
				checkError(t, err, tt.err)
				if len(evs) != tt.events {
					t.Errorf("buffer %d: %d events before the error, want %d", size, len(evs), tt.events)
				}
			}
		})
	}
}

// TestErrorsAreSticky checks that once Next failed, it keeps failing with
// the same error and reads nothing more.
func TestErrorsAreSticky(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"stream error", hdr + "<a><!-- x --></a><b/>"},
		{"unexpected EOF", hdr + "<a>"},
		{"EOF", hdr},
		{"close", hdr + "</stream:stream><b/>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingReader{r: strings.NewReader(tc.in)}
			r := NewReader(src, testLimits, 1)
			_, first := drain(r)
			if first == nil {
				t.Fatal("no error")
			}
			read := src.n
			for range 3 {
				ev, err := r.Next()
				if err != first {
					t.Errorf("Next = %v, want the first error %v again", err, first)
				}
				if ev.Kind != 0 || ev.Element != nil || ev.Header != nil {
					t.Errorf("Next returned an event with the error: %+v", ev)
				}
			}
			if src.n != read {
				t.Errorf("read %d more bytes after the error", src.n-read)
			}
		})
	}
}

// errReader fails with err after giving b.
type errReader struct {
	b   []byte
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, r.err
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestIOErrorsPassThrough checks the connection's own errors (a timeout, a
// reset) come back unchanged, whether between elements or inside one.
func TestIOErrorsPassThrough(t *testing.T) {
	boom := errors.New("read tcp: connection reset by peer")
	for _, in := range []string{hdr, hdr + "<message><body>x", hdr + "<message to='"} {
		r := NewReader(&errReader{b: []byte(in), err: boom}, testLimits, 64)
		_, err := drain(r)
		if err != boom {
			t.Errorf("%q: error %v, want %v", in, err, boom)
		}
	}
	// Data and error in the same Read: the data is parsed first.
	r := NewReader(&dataErrReader{b: []byte(hdr + "<a/>"), err: boom}, testLimits, 4096)
	evs, err := drain(r)
	if len(evs) != 2 || err != boom {
		t.Errorf("data with error: %d events, error %v; want 2 events then %v", len(evs), err, boom)
	}
}

// dataErrReader returns everything and err in one Read.
type dataErrReader struct {
	b   []byte
	err error
}

func (r *dataErrReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	if len(r.b) == 0 {
		return n, r.err
	}
	return n, nil
}

// TestSelfClosingHeader is an open-and-close in one tag: a header, then the
// close, then io.EOF.
func TestSelfClosingHeader(t *testing.T) {
	in := "<stream:stream xmlns:stream='" + NSStreams + "'/>"
	evs, err := parse(in, testLimits, 64)
	checkError(t, err, io.EOF)
	if len(evs) != 2 || evs[0].Kind != KindHeader || evs[1].Kind != KindClose || evs[1].End != int64(len(in)) {
		t.Errorf("events %v", evs)
	}
}
