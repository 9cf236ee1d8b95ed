package stream

import (
	"io"
	"testing"
)

// chunks gives one chunk per Read, as a client's separate writes arrive.
type chunks []string

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	(*c)[0] = (*c)[0][n:]
	if (*c)[0] == "" {
		*c = (*c)[1:]
	}
	return n, nil
}

// TestReleaseBetweenEvents: a Reader that let go of its decoder and buffer
// between events goes on where it was: the stream's prefix still resolves,
// the offsets go on from the input's start, and the close matches the
// header; with input buffered it keeps them.
func TestReleaseBetweenEvents(t *testing.T) {
	header := "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>"
	in := chunks{header, "<stream:features/>", "<message to='a@b'><body>hi</body></message><presence/>", "</stream:stream>"}
	r := NewReader(&in, Limits{}, 2048)
	want := []struct {
		kind    Kind
		tag     string
		end     int
		release bool
	}{
		{KindHeader, "", len(header), true},
		{KindElement, "features", len(header) + 18, true},
		{KindElement, "message", len(header) + 18 + 43, false}, // <presence/> is buffered behind it
		{KindElement, "presence", len(header) + 18 + 54, true},
		{KindClose, "", len(header) + 18 + 54 + 16, true},
	}
	for i, w := range want {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.Kind != w.kind || (w.tag != "" && ev.Element.Tag != w.tag) || ev.End != int64(w.end) {
			t.Fatalf("event %d: %s ending at %d, want kind %v %s ending at %d", i, describe(ev), ev.End, w.kind, w.tag, w.end)
		}
		if w.tag == "features" && ev.Space != "http://etherx.jabber.org/streams" {
			t.Fatalf("after a release the stream's prefix resolved to %q", ev.Space)
		}
		if got := r.Release(); got != w.release {
			t.Fatalf("event %d: Release = %v, want %v", i, got, w.release)
		}
		if w.release && (r.src != nil || r.dec != nil) {
			t.Fatalf("event %d: released, but the source or the decoder is kept", i)
		}
	}
}
