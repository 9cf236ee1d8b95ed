package stream

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// TestRestAfterStartTLS is the STARTTLS security property: whatever the
// client sent after the request element never reaches the parser. It comes
// back byte-exact from Rest() followed by what the reader had not read yet —
// the bytes a STARTTLS upgrade replays into the TLS handshake — whatever the
// buffer size and however the network split the input.
func TestRestAfterStartTLS(t *testing.T) {
	// A pipelined TLS 1.3 ClientHello prefix, then more binary.
	clientHello := "\x16\x03\x01\x00\xf8\x01\x00\x00\xf4\x03\x03" + string(bytes.Repeat([]byte{0, 0xff, '<', '>', '&'}, 40))
	tails := map[string]string{
		"nothing":          "",
		"injected iq":      "<iq type='get' id='x'><query xmlns='jabber:iq:auth'/></iq>",
		"injected close":   "</stream:stream>",
		"second request":   "<tls:starttls/>",
		"client hello":     clientHello,
		"whitespace first": " \n<message/>",
		"broken XML":       "<<<&xxe;<!DOCTYPE x><!-- -->",
		"one byte":         "<",
		"invalid UTF-8":    "\xff\xfe\x00",
	}
	requests := map[string]string{
		"legacy":              "<tls:starttls/>",
		"legacy with end tag": "<tls:starttls></tls:starttls>",
		"legacy spaced":       "<tls:starttls  />",
		"rfc6120":             "<starttls xmlns='" + nsTLS + "'/>",
		"rfc6120 with child":  "<starttls xmlns='" + nsTLS + "'><required/></starttls>",
	}
	// Before the request: the header, maybe an earlier element and keepalives.
	leads := map[string]string{
		"header":           hdr,
		"declaration":      "<?xml version='1.0'?>" + hdr,
		"keepalive":        hdr + " \n ",
		"after an element": hdr + "<iq type='get' id='1'><query xmlns='jabber:iq:version'/></iq>\n",
		// Past the small read buffer: the source switches to a pooled one
		// and back (see source).
		"after a long element": hdr + "<message><body>" + strings.Repeat("long ", 300) + "</body></message>",
	}
	readers := map[string]func(b []byte) io.Reader{
		"whole":         func(b []byte) io.Reader { return bytes.NewReader(b) },
		"byte a read":   func(b []byte) io.Reader { return &oneByteReader{b: b} },
		"chunks seed 1": func(b []byte) io.Reader { return newChunkReader(b, 1, 13) },
		"chunks seed 2": func(b []byte) io.Reader { return newChunkReader(b, 2, 100) },
		"data with EOF": func(b []byte) io.Reader { return &dataErrReader{b: b, err: io.EOF} },
	}
	for leadName, lead := range leads {
		for reqName, req := range requests {
			for tailName, tail := range tails {
				for rdName, mk := range readers {
					for _, size := range []int{1, 2, 7, 64, 600, 4096} {
						name := fmt.Sprintf("%s/%s/%s/%s/%d", leadName, reqName, tailName, rdName, size)
						checkRest(t, name, lead, req, tail, mk, size)
					}
				}
			}
		}
	}
}

func checkRest(t *testing.T, name, lead, req, tail string, mk func([]byte) io.Reader, size int) {
	t.Helper()
	src := mk([]byte(lead + req + tail))
	r := NewReader(src, testLimits, size)
	var ev Event
	for {
		var err error
		ev, err = r.Next()
		if err != nil {
			t.Errorf("%s: error before the request: %v", name, err)
			return
		}
		if ev.Kind == KindElement && ev.Element.Tag == "starttls" {
			break
		}
		if ev.End > int64(len(lead)) {
			t.Errorf("%s: event %s ends at %d, past the request", name, ev.Kind, ev.End)
			return
		}
	}
	if want := int64(len(lead + req)); ev.End != want {
		t.Errorf("%s: request ends at %d, want %d", name, ev.End, want)
	}
	rest := r.Rest()
	unread, err := io.ReadAll(src)
	if err != nil && err != io.EOF {
		t.Fatalf("%s: reading the rest: %v", name, err)
	}
	if got := string(rest) + string(unread); got != tail {
		t.Errorf("%s: Rest %q + unread %q\n  = %q\nwant %q", name, rest, unread, got, tail)
	}
	if len(rest) > size {
		t.Errorf("%s: Rest holds %d bytes, more than the %d-byte buffer", name, len(rest), size)
	}
	// Rest is a copy: the caller may keep it while the buffer is reused.
	if len(rest) > 0 {
		rest[0] ^= 0xff
		if again := r.Rest(); again[0] == rest[0] {
			t.Errorf("%s: Rest shares memory with the read buffer", name)
		}
	}
}

// TestRestAfterHeader covers the other place a tokenizer is handed over:
// right after the header, everything else is still unparsed.
func TestRestAfterHeader(t *testing.T) {
	tail := "<a/></stream:stream>"
	for _, size := range []int{1, 7, 4096} {
		src := strings.NewReader(hdr + tail)
		r := NewReader(src, testLimits, size)
		ev, err := r.Next()
		if err != nil || ev.Kind != KindHeader {
			t.Fatalf("Next = %v, %v", ev, err)
		}
		unread, _ := io.ReadAll(src)
		if got := string(r.Rest()) + string(unread); got != tail {
			t.Errorf("buffer %d: rest %q, want %q", size, got, tail)
		}
	}
}
