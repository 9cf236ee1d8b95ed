package stream

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fuzzLimits are small so that the fuzzer reaches the limits often.
var fuzzLimits = Limits{MaxBytes: 512, MaxDepth: 6}

// FuzzReader feeds arbitrary bytes, after an optional valid header, to a
// Reader and checks that it never panics, fails only with a stream error or
// the end of input, reports End offsets in order and within the input, keeps
// Rest() exact after every event, and returns only elements that survive a
// round trip through Marshal and a fresh Reader unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range transcriptClientLines(f) {
		f.Add([]byte(s), false, uint8(63))
	}
	for _, s := range []string{
		"<tls:starttls/>",
		"<tls:starttls/><iq type='get' id='x'><query xmlns='jabber:iq:auth'/></iq>",
		"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x01\x00",
		"<message xmlns:p='urn:p' p:a='&lt;&gt;&amp;&apos;&quot;&#13;&#9;'>\r\n<p:body>&#13;&#x1F600;<![CDATA[]]>]]></p:body></message>",
		"<a><b><c><d><e><f><g/></f></e></d></c></b></a>",
		" \n\t<a/>\n </stream:stream>",
		"<!DOCTYPE x [<!ENTITY e 'boom'>]><a>&e;</a>",
		"<?xml version='1.0'?><a/><!-- c --><?pi?>",
		"<a x='1' x='2' xmlns:q='' q:y='3'/>",
		"<:a/><a:/><a :b='1'/><a:b:c/>",
		"<stream:features/><message xmlns=''/><tls:x xmlns:tls='urn:other'/>",
		"</x>",
		"<a>" + strings.Repeat("x", 600) + "</a>",
	} {
		f.Add([]byte(s), true, uint8(0))
		f.Add([]byte(s), true, uint8(6))
	}
	f.Add([]byte("<?xml version='1.0' encoding='latin1'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"), false, uint8(200))
	f.Add([]byte("<?xml version='1.1'?><stream xmlns='x' xmlns:p=''><p:a/></stream>"), false, uint8(3))

	f.Fuzz(func(t *testing.T, data []byte, withHeader bool, size uint8) {
		in := data
		if withHeader {
			in = append([]byte(hdr), data...)
		}
		src := bytes.NewReader(in)
		r := NewReader(src, fuzzLimits, 1+int(size)%80)
		var header *Header
		var last int64
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("%d events from %d bytes", n, len(in))
			}
			ev, err := r.Next()
			if err != nil {
				var serr *Error
				switch {
				case errors.As(err, &serr):
					if serr.Condition == "" || serr.Text == "" {
						t.Fatalf("stream error without condition or text: %#v", serr)
					}
				case err == io.EOF, err == io.ErrUnexpectedEOF:
				default:
					t.Fatalf("error %T %v is neither a stream error nor the end of input", err, err)
				}
				if _, again := r.Next(); again != err {
					t.Fatalf("error not sticky: %v then %v", err, again)
				}
				return
			}
			if ev.End < last || ev.End > int64(len(in)) {
				t.Fatalf("%s event ends at %d after %d, input %d bytes", ev.Kind, ev.End, last, len(in))
			}
			last = ev.End
			consumed := int64(len(in) - src.Len())
			if rest := r.Rest(); !bytes.Equal(append(rest, in[consumed:]...), in[ev.End:]) {
				t.Fatalf("after the %s event ending at %d, Rest %q + unread is not the input after it", ev.Kind, ev.End, rest)
			}
			switch ev.Kind {
			case KindHeader:
				if header != nil || ev.Header == nil {
					t.Fatalf("second or empty header")
				}
				header = ev.Header
			case KindElement:
				if header == nil || ev.Element == nil {
					t.Fatalf("element before the header, or nil")
				}
				roundTrip(t, header, ev)
			case KindClose:
				if header == nil {
					t.Fatalf("close before the header")
				}
			default:
				t.Fatalf("event kind %d", ev.Kind)
			}
		}
	})
}

// roundTrip parses Marshal(ev.Element) in a fresh stream that declares only
// the original default namespace: the element must stand alone and come
// back identical.
func roundTrip(t *testing.T, h *Header, ev Event) {
	t.Helper()
	out := Marshal(ev.Element)
	var in bytes.Buffer
	in.WriteString("<stream:stream xmlns:stream='" + NSStreams + "'")
	if def, ok := h.Decls.Get(""); ok {
		in.WriteString(" xmlns='")
		escapeAttr(&in, def)
		in.WriteString("'")
	}
	in.WriteString(">")
	in.Write(out)
	evs, err := drain(NewReader(&in, Limits{}, 4096))
	if err != io.EOF || len(evs) != 2 || evs[1].Kind != KindElement {
		t.Fatalf("Marshal output %q does not parse back as one element: %d events, %v", out, len(evs), err)
	}
	if again := Marshal(evs[1].Element); !bytes.Equal(again, out) {
		t.Fatalf("round trip changed the element:\n  %q\n  %q", out, again)
	}
	if evs[1].Space != ev.Space {
		t.Fatalf("round trip of %q changed its namespace from %q to %q", out, ev.Space, evs[1].Space)
	}
}

// transcriptClientLines returns every client line of the wire transcripts,
// and each transcript's client side as one stream.
func transcriptClientLines(f *testing.F) []string {
	files, err := filepath.Glob("../testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		f.Fatalf("no transcripts found: %v", err)
	}
	var seeds []string
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			f.Fatal(err)
		}
		var whole strings.Builder
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			payload, ok := strings.CutPrefix(sc.Text(), "C: ")
			if !ok {
				continue
			}
			if strings.HasPrefix(payload, `"`) {
				if payload, err = strconv.Unquote(payload); err != nil {
					f.Fatalf("%s: %v", file, err)
				}
			}
			seeds = append(seeds, payload)
			whole.WriteString(payload)
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			f.Fatalf("%s: %v", file, err)
		}
		seeds = append(seeds, whole.String())
	}
	return seeds
}
