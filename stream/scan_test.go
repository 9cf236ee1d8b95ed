package stream

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// scannerSeeds are inputs at the edges of what the scanner takes: each
// form of the XML declaration and its near misses, names at the edge of
// ASCII and of the colon rule, values and text with what the decoder
// rewrites or refuses, elements cut short.
var scannerSeeds = []string{
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + NSStreams + "' to='localhost' version='1.0'>",
	`<?xml version="1.0" encoding="UTF-8"?>` + "\n<stream:stream xmlns:stream='" + NSStreams + "'>",
	"<?xml version='1.0' encoding='utf-8'?><stream:stream xmlns:stream='" + NSStreams + "'/>",
	"<?xml version='1.1'?><stream:stream xmlns:stream='" + NSStreams + "'>",
	" <?xml version='1.0'?><stream:stream xmlns:stream='" + NSStreams + "'>",
	"<?xml  version='1.0'?><stream:stream>",
	"\n <stream:stream xmlns:stream='" + NSStreams + "' xmlns = \"jabber:client\" >",
	"<stream:stream xmlns:stream='" + NSStreams + "' a='1'b='2'><x/></stream:stream >",
	"</stream:stream><stream:stream>",
}

// scannerElementSeeds follow a valid header.
var scannerElementSeeds = []string{
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJlbmNoAGJlbmNoLXB3</auth>",
	"<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
	"<a.b-c_1 x.y='v'/><_a/><A:b9 xmlns:A='urn:a'/><a:1b xmlns:a='urn:a'/>",
	"<a:/>", "<:a/>", "<a:b:c/>", "<a :b='1'/>", "<a b:='1'/>", "<a\u00e9/>", "<\u00e9/>", "<a b\u00e9='1'/>",
	"<m><body>caf\u00e9 \U0001F600 \ufffd \u2028</body></m>",
	"<m><body>\xff</body></m>", "<m><body>\xef\xbf\xbe</body></m>", "<m>\xed\xa0\x80</m>", "<m x='\xef\xbf\xbf'/>",
	"<m><body>a\rb</body></m>", "<m><body>a\r\nb</body></m>", "<m x='a\rb'/>",
	"<m x='tab\there\nnl'>\t\n</m><m x=\"'\" y='\"'/><m x='a>b'/><m x=']]>'/>",
	"<m>]]></m>", "<m>]]</m><m>]></m><m>]</m>",
	"<m>\x01</m>", "<m x='\x7f'/>", "<m>\x00</m>",
	"<m>&amp;</m>", "<m x='&lt;'/>", "<m x='<'/>", "<m x=1/>", "<m x/>", "<m x=/>",
	"<m><![CDATA[x]]></m>", "<m><!-- c --></m>", "<m><?pi x?></m>",
	"<a><b></c></a>", "<a></a ><a></a\n>", "<a></ a>", "<a>< b/></a>",
	"<a/ >", "<a /><a/b>",
	"<a xmlns='' b='1'/>", "<p:a xmlns:p=''/>", "<p:a/>", "<a p:b='1'/>",
	"<a x='1' x='2'/>", "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
	"<a><b><c><d><e><f><g/></f></e></d></c></b></a>",
	"  \n<a/>\t\n<b/></stream:stream>",
	"<a/>text<b/>",
	"<a>" + strings.Repeat("x", 600) + "</a><b/>",
	"<message type='chat' to='bench@localhost/rcv-1' id='m1'><body>load</body></message></stream:stream>",
	"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x01\x00\x05hello",
}

// FuzzScannerAgrees reads the same input, in the same reads, through a
// Reader whose scanner takes what it can and through one where the decoder
// reads everything: every event (its kind, offsets, header, tree and
// namespace), every error, and what is left buffered after each event must
// be the same. With fill, the readers are driven as the server drives them
// (Fill before each event, Release after it).
func FuzzScannerAgrees(f *testing.F) {
	for _, s := range transcriptClientLines(f) {
		f.Add([]byte(s), false, uint16(2048), uint8(0), uint16(0), true)
		f.Add([]byte(s), false, uint16(600), uint8(40), uint16(300), false)
	}
	for _, s := range scannerSeeds {
		f.Add([]byte(s), false, uint16(2048), uint8(0), uint16(0), false)
		f.Add([]byte(s), false, uint16(512), uint8(7), uint16(90), true)
	}
	for _, s := range scannerElementSeeds {
		f.Add([]byte(s), true, uint16(2048), uint8(0), uint16(0), false)
		f.Add([]byte(s), true, uint16(2048), uint8(0), uint16(0), true)
		f.Add([]byte(s), true, uint16(700), uint8(50), uint16(120), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, withHeader bool, size uint16, chunk uint8, maxBytes uint16, fill bool) {
		in := data
		if withHeader {
			in = append([]byte(hdr), data...)
		}
		lim := Limits{MaxBytes: int(maxBytes % 1024), MaxDepth: 6}
		bufSize := 1 + int(size)%4096
		read := func() ([]string, string) {
			var src interface{ Read([]byte) (int, error) } = bytes.NewReader(in)
			if chunk > 0 {
				src = newChunkReader(in, uint64(chunk), int(chunk))
			}
			return readAll(NewReader(src, lim, bufSize), fill, len(in))
		}
		scanned, scanErr := read()
		noScan = true
		decoded, decErr := read()
		noScan = false
		for i := range max(len(scanned), len(decoded)) {
			if i >= len(scanned) || i >= len(decoded) || scanned[i] != decoded[i] {
				t.Fatalf("event %d differs\n  scanner: %s\n  decoder: %s", i, at(scanned, i), at(decoded, i))
			}
		}
		if scanErr != decErr {
			t.Fatalf("the readers end differently\n  scanner: %s\n  decoder: %s", scanErr, decErr)
		}
	})
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// readAll reads r to its first error, describing every event in full with
// what the Reader holds after it, and the error.
func readAll(r *Reader, fill bool, size int) ([]string, string) {
	var out []string
	for n := 0; n <= size+1; n++ {
		if fill && r.Buffered() == 0 {
			if err := r.Fill(); err == ErrKeepalive {
				continue
			} else if err != nil {
				return out, fmt.Sprintf("fill: %#v", err)
			}
		}
		ev, err := r.Next()
		if err != nil {
			return out, fmt.Sprintf("%#v", err)
		}
		out = append(out, fmt.Sprintf("%s buffered=%d rest=%q", describeFully(ev), r.Buffered(), r.Rest()))
		if fill {
			r.Release()
		}
	}
	return out, "too many events"
}

// describeFully renders everything an event carries.
func describeFully(ev Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s end=%d space=%q", ev.Kind, ev.End, ev.Space)
	if h := ev.Header; h != nil {
		fmt.Fprintf(&b, " header %q:%q space=%q decls=%q attrs=%q", h.Prefix, h.Local, h.Space, h.Decls, h.Attrs)
	}
	if ev.Element != nil {
		b.WriteByte(' ')
		dumpTree(&b, ev.Element)
	}
	return b.String()
}

// dumpTree writes an etree element with every attribute in order and every
// child, telling text from elements.
func dumpTree(b *strings.Builder, el *etree.Element) {
	fmt.Fprintf(b, "<%q:%q", el.Space, el.Tag)
	for _, a := range el.Attr {
		fmt.Fprintf(b, " %q:%q=%q", a.Space, a.Key, a.Value)
	}
	b.WriteByte('>')
	for _, c := range el.Child {
		switch c := c.(type) {
		case *etree.Element:
			dumpTree(b, c)
		case *etree.CharData:
			fmt.Fprintf(b, "%q", c.Data)
		default:
			fmt.Fprintf(b, "?%T", c)
		}
	}
	b.WriteString("</>")
}

// TestScannerTakesALogin: the events of a login are the scanner's — no
// decoder is made for them — and the events a client seldom sends are the
// decoder's, from the first byte of the event.
func TestScannerTakesALogin(t *testing.T) {
	login := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='" + NSStreams + "' to='localhost' version='1.0'>" +
		"<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r\u00e9</resource></bind></iq></stream:stream>"
	r := NewReader(strings.NewReader(login), testLimits, 2048)
	evs, err := drain(r)
	if err != io.EOF || len(evs) != 3 {
		t.Fatalf("events %v, %v; want header, element, close", evs, err)
	}
	if r.dec != nil {
		t.Errorf("a decoder was made for a login the scanner takes")
	}
	for _, rare := range []string{"<m>&amp;</m>", "<m><![CDATA[x]]></m>", "<m>a\r\nb</m>", "<m>]]></m>"} {
		r := NewReader(strings.NewReader(hdr+rare), testLimits, 2048)
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if r.dec != nil {
			t.Errorf("%s: a decoder was made for the header", rare)
		}
		ev, err := r.Next()
		if r.dec == nil {
			t.Errorf("%s: no decoder was made", rare)
		}
		if err == nil && ev.End != int64(len(hdr+rare)) {
			t.Errorf("%s: the event ends at %d, want %d", rare, ev.End, len(hdr+rare))
		}
	}
}
