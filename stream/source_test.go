package stream

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestSourceIdlesOnSmallBuffer: reads that do not fill the small buffer
// never take a full-size one; a read that fills it does, and the full-size
// buffer goes back once consumed, so that an idle reader holds none.
func TestSourceIdlesOnSmallBuffer(t *testing.T) {
	pr, pw := io.Pipe()
	s := newSource(pr, 4096)
	send := func(b []byte) {
		go func() { _, _ = pw.Write(b) }()
	}
	readN := func(n int) []byte {
		out := make([]byte, n)
		for i := range out {
			c, err := s.ReadByte()
			if err != nil {
				t.Fatal(err)
			}
			out[i] = c
		}
		return out
	}
	short := []byte("<presence/>")
	send(short)
	if got := readN(len(short)); !bytes.Equal(got, short) {
		t.Fatalf("read %q", got)
	}
	if len(s.buf) != smallBufSize {
		t.Fatalf("after a short read the buffer is %d bytes, want the small %d", len(s.buf), smallBufSize)
	}
	long := []byte(strings.Repeat("x", 3000))
	send(long) // a pipe hands over at most what the reader asks for: 512, then 3000-512
	if got := readN(len(long)); !bytes.Equal(got, long) {
		t.Fatal("long data came back changed")
	}
	if len(s.buf) != 4096 {
		t.Fatalf("after reads that filled the small buffer the buffer is %d bytes, want the full 4096", len(s.buf))
	}
	send(short)
	if got := readN(len(short)); !bytes.Equal(got, short) {
		t.Fatalf("read %q", got)
	}
	if len(s.buf) != smallBufSize {
		t.Fatalf("after the burst the buffer is %d bytes, want the small one again", len(s.buf))
	}
}

// BenchmarkReaderMessages is the tokenizer's cost per routed chat message
// (the stanza the server reads most), with a stream's typical reads: one
// stanza per read, as TLS hands over one record at a time.
func BenchmarkReaderMessages(b *testing.B) {
	msg := []byte("<message type='chat' to='bench@localhost/rcv-1' id='m1'><body>load</body></message>")
	src := &msgRepeater{head: []byte(hdr), msg: msg}
	r := NewReader(src, testLimits, 2048)
	if ev, err := r.Next(); err != nil || ev.Kind != KindHeader {
		b.Fatal(ev, err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if ev, err := r.Next(); err != nil || ev.Kind != KindElement {
			b.Fatal(ev, err)
		}
	}
}

// BenchmarkReaderLogin tokenizes the client side of an RFC 6120 login after
// TLS: header, SASL PLAIN, header, bind — what a login costs the tokenizer
// (a fresh Reader per stream, as the server makes them).
func BenchmarkReaderLogin(b *testing.B) {
	streams := []string{
		hdr + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJlbmNoAGJlbmNoLXB3</auth>",
		hdr + "<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>bench-0-1</resource></bind></iq>",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, st := range streams {
			r := NewReader(strings.NewReader(st), testLimits, 2048)
			for range 2 {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkMarshal is the serialization of a routed message (every
// delivery marshals its element once).
func BenchmarkMarshal(b *testing.B) {
	r := NewReader(strings.NewReader(hdr+"<message type='chat' to='bench@localhost/rcv-1' from='bench@localhost/snd-1' id='m1'><body>load &amp; more</body></message>"), testLimits, 2048)
	if _, err := r.Next(); err != nil {
		b.Fatal(err)
	}
	ev, err := r.Next()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Marshal(ev.Element)
	}
}

// msgRepeater returns head once, then msg on every read, forever.
type msgRepeater struct {
	head, msg []byte
	sent      bool
}

func (r *msgRepeater) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, r.head), nil
	}
	return copy(p, r.msg), nil
}
