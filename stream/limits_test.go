package stream

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func tooLarge(n int) error {
	return &Error{PolicyViolation, "an element is larger than the limit of " + strconv.Itoa(n) + " bytes"}
}

func tooDeep(n int) error {
	return &Error{PolicyViolation, "elements nested deeper than " + strconv.Itoa(n) + " levels"}
}

// sized returns an element of exactly n bytes (n ≥ 7).
func sized(n int) string { return "<a>" + strings.Repeat("x", n-7) + "</a>" }

// TestSizeLimit checks MaxBytes per header and per depth-1 element, at the
// boundary, and that the budget starts afresh for every element.
func TestSizeLimit(t *testing.T) {
	const max = 256
	lim := Limits{MaxBytes: max, MaxDepth: 8}
	if len(sized(max)) != max {
		t.Fatal("sized is wrong")
	}
	tests := []struct {
		name   string
		in     string
		events int
		err    error
	}{
		{"element at the limit", hdr + sized(max), 2, io.EOF},
		{"element one over", hdr + sized(max+1), 1, tooLarge(max)},
		{"many elements at the limit", hdr + strings.Repeat(sized(max), 10), 11, io.EOF},
		{"big attribute", hdr + "<a x='" + strings.Repeat("y", max) + "'/>", 1, tooLarge(max)},
		{"big name", hdr + "<" + strings.Repeat("n", max) + "/>", 1, tooLarge(max)},
		{"big child text", hdr + "<a><b><c>" + strings.Repeat("z", max) + "</c></b></a>", 1, tooLarge(max)},
		{"many small children", hdr + "<a>" + strings.Repeat("<b/>", max/4) + "</a>", 1, tooLarge(max)},
		{"big comment is refused for its size", hdr + "<!--" + strings.Repeat("c", 2*max), 1, tooLarge(max)},
		{"header over the limit", "<stream:stream xmlns:stream='" + NSStreams + "' to='" + strings.Repeat("h", max) + "'>", 0, tooLarge(max)},
		{"header at the limit", hdr + strings.Repeat(" ", max-len(hdr)), 1, io.EOF},
		// Whitespace keepalives have their own budget and do not count
		// against the element that follows them.
		{"keepalives before a full element", hdr + strings.Repeat(" ", max-1) + sized(max) + strings.Repeat("\n", max-1) + sized(max), 3, io.EOF},
		{"keepalives between many elements", hdr + strings.Repeat(" \t\r\n"+sized(max-10), 20), 21, io.EOF},
		// A run of whitespace is still bounded by the limit.
		{"endless whitespace", hdr + strings.Repeat(" ", 3*max) + "<a/>", 1, tooLarge(max)},
		{"closing tag after a full element", hdr + sized(max) + "</stream:stream>", 3, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 7, 64, 4096} {
				evs, err := parse(tt.in, lim, size)
				checkError(t, err, tt.err)
				if len(evs) != tt.events {
					t.Errorf("buffer %d: %d events, want %d", size, len(evs), tt.events)
				}
			}
		})
	}
}

// TestSizeLimitBoundsReading proves the limit bounds memory: a 50 MB element
// fails after at most MaxBytes plus one buffer has been read from the
// connection, and without allocating anything near its size.
func TestSizeLimitBoundsReading(t *testing.T) {
	const (
		max  = 4096
		huge = 50 << 20
	)
	for _, tc := range []struct {
		name, open string
	}{
		{"text", "<message><body>"},
		{"attribute value", "<message to='"},
		{"element name", "<m"},
		{"whitespace", ""},
	} {
		for _, size := range []int{1, 64, 4096, 65536} {
			fill := byte('x')
			if tc.open == "" {
				fill = ' '
			}
			src := &countingReader{r: io.MultiReader(strings.NewReader(hdr+tc.open), &repeatReader{c: fill, n: huge})}
			r := NewReader(src, Limits{MaxBytes: max, MaxDepth: 8}, size)
			if ev, err := r.Next(); err != nil || ev.Kind != KindHeader {
				t.Fatalf("header: %v, %v", ev, err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			headerRead := src.n
			_, err := r.Next()
			runtime.ReadMemStats(&after)
			checkError(t, err, tooLarge(max))
			// headerRead bytes were read by the header; some of them may
			// have been buffered past it and count towards the element.
			if read := src.n - int64(len(hdr)); read > max+int64(size) {
				t.Errorf("%s, buffer %d: read %d bytes past the header (header read %d); want at most %d",
					tc.name, size, read, headerRead, max+size)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("%s, buffer %d: allocated %d bytes for a refused element", tc.name, size, alloc)
			}
		}
	}
}

// TestDepthLimit checks MaxDepth counts the depth-1 element itself as 1.
func TestDepthLimit(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("<a>", n) + strings.Repeat("</a>", n) }
	tests := []struct {
		name   string
		depth  int
		in     string
		events int
		err    error
	}{
		{"depth 1 without children", 1, "<a/>", 2, io.EOF},
		{"depth 1 refuses a child", 1, "<a><b/></a>", 1, tooDeep(1)},
		{"depth 1 allows text", 1, "<a>text</a>", 2, io.EOF},
		{"at the limit", 3, nest(3), 2, io.EOF},
		{"one over", 3, nest(4), 1, tooDeep(3)},
		{"wide is not deep", 3, "<a>" + strings.Repeat("<b><c/></b>", 50) + "</a>", 2, io.EOF},
		{"depth resets per element", 3, nest(3) + nest(3) + nest(3), 4, io.EOF},
		{"deep after a sibling", 3, "<a><b/><b><c><d/></c></b></a>", 1, tooDeep(3)},
		{"no limit", 0, nest(500), 2, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := parse(hdr+tt.in, Limits{MaxDepth: tt.depth}, 64)
			checkError(t, err, tt.err)
			if len(evs) != tt.events {
				t.Errorf("%d events, want %d", len(evs), tt.events)
			}
		})
	}
}

// BenchmarkManyAttributes measures one element of MaxBytes made of nothing
// but attributes: its cost must stay linear in its size, or a client buys
// seconds of CPU with one stanza. Since the attribute cap it is refused
// (policy-violation) after the header: what is measured is the refusal.
func BenchmarkManyAttributes(b *testing.B) {
	const max = 262144
	var el strings.Builder
	el.WriteString("<a")
	for i := 0; el.Len() < max-32; i++ {
		el.WriteString(" a" + strconv.Itoa(i) + "=''")
	}
	el.WriteString("/>")
	in := hdr + el.String()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		evs, err := parse(in, Limits{MaxBytes: max, MaxDepth: 32}, 4096)
		var serr *Error
		if len(evs) != 1 || !errors.As(err, &serr) || serr.Condition != PolicyViolation {
			b.Fatalf("%d events, %v", len(evs), err)
		}
	}
}

// TestAttributeLimit: an element made of attributes is refused before its
// tree is built (building costs time quadratic in their number).
func TestAttributeLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><a")
	for i := 0; i < 65; i++ {
		fmt.Fprintf(&b, " a%d='x'", i)
	}
	b.WriteString("/>")
	r := NewReader(strings.NewReader(b.String()), Limits{MaxBytes: 1 << 20}, 4096)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next()
	var serr *Error
	if !errors.As(err, &serr) || serr.Condition != PolicyViolation || serr.Text != "<a> has 65 attributes; at most 64 are accepted" {
		t.Fatalf("err = %v", err)
	}
	ok := strings.Replace(b.String(), " a64='x'", "", 1)
	r = NewReader(strings.NewReader(ok), Limits{MaxBytes: 1 << 20}, 4096)
	r.Next()
	if ev, err := r.Next(); err != nil || ev.Kind != KindElement {
		t.Fatalf("64 attributes: %v %v", ev.Kind, err)
	}
}
