package stream

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// Namespaces and headers the tests share.
const (
	nsLegacyTLS = "http://www.ietf.org/rfc/rfc2595.txt"
	nsTLS       = "urn:ietf:params:xml:ns:xmpp-tls"

	// hdr is a legacy client header declaring the rfc2595 prefix "tls".
	hdr = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='" + nsLegacyTLS + "' to='localhost'>"
)

// testLimits are generous enough for every well-formed input in the tests.
var testLimits = Limits{MaxBytes: 4096, MaxDepth: 16}

// drain reads events until the first error and returns both.
func drain(r *Reader) ([]Event, error) {
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
		if len(evs) > 10000 {
			return evs, errors.New("test: more than 10000 events")
		}
	}
}

// parse runs a fresh Reader over in and drains it.
func parse(in string, lim Limits, bufSize int) ([]Event, error) {
	return drain(NewReader(strings.NewReader(in), lim, bufSize))
}

// describe renders an event for comparison: kind, namespace, XML, end offset.
func describe(ev Event) string {
	switch ev.Kind {
	case KindElement:
		return fmt.Sprintf("element space=%q end=%d %s", ev.Space, ev.End, Marshal(ev.Element))
	case KindHeader:
		return fmt.Sprintf("header end=%d", ev.End)
	}
	return fmt.Sprintf("%s end=%d", ev.Kind, ev.End)
}

// sameError reports whether got is the expected error: a *Error with the same
// condition and text, or the very same sentinel (io.EOF, io.ErrUnexpectedEOF).
func sameError(got, want error) bool {
	var g, w *Error
	if errors.As(want, &w) {
		return errors.As(got, &g) && g.Condition == w.Condition && g.Text == w.Text
	}
	return got == want
}

func checkError(t *testing.T, got, want error) {
	t.Helper()
	if !sameError(got, want) {
		t.Errorf("error = %#v (%v)\n             want %#v (%v)", got, got, want, want)
	}
}

// oneByteReader returns one byte per Read, the way a slow network does.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

// chunkReader returns chunks of random size (1..max) from a fixed seed.
type chunkReader struct {
	b   []byte
	rng *rand.Rand
	max int
}

func newChunkReader(b []byte, seed uint64, max int) *chunkReader {
	return &chunkReader{b: b, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), max: max}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(1+r.rng.IntN(r.max), len(p), len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// repeatReader yields n copies of one byte without holding them in memory.
type repeatReader struct {
	c byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}
