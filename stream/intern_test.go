package stream

import (
	"strings"
	"testing"
	"unsafe"
)

// TestHeaderKeepsConstants: the declarations a session keeps from its
// header, and the stream's name, are the package's constants, not the
// decoder's copies: an idle session then holds no string of its header
// (the machine keeps the declarations, the reader the namespaces in scope
// and the name).
func TestHeaderKeepsConstants(t *testing.T) {
	in := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:sm='urn:xmpp:sm:3' to='localhost' version='1.0'>"
	r := NewReader(strings.NewReader(in), testLimits, 2048)
	ev, err := r.Next()
	if err != nil || ev.Kind != KindHeader {
		t.Fatalf("Next = %v, %v; want the header", ev, err)
	}
	same := func(a, b string) bool { return a == b && unsafe.StringData(a) == unsafe.StringData(b) }
	want := map[string]string{"": NSClient, "stream": NSStreams, "sm": "urn:xmpp:sm:3"}
	for _, d := range ev.Header.Decls {
		if !same(d.URI, intern(want[d.Prefix])) || (d.Prefix != "" && !same(d.Prefix, intern(d.Prefix))) {
			t.Errorf("declaration %q=%q: not the constant", d.Prefix, d.URI)
		}
	}
	if len(ev.Header.Decls) != len(want) {
		t.Errorf("declarations %v, want %v", ev.Header.Decls, want)
	}
	for _, b := range r.ns.bindings {
		if !same(b.uri, want[b.prefix]) {
			t.Errorf("namespace in scope %q=%q: not the constant", b.prefix, b.uri)
		}
	}
	if !same(r.stream.Space, "stream") || !same(r.stream.Local, "stream") {
		t.Errorf("the stream's name %v: not the constants", r.stream)
	}
}

// TestReleaseShrinksScope: the namespaces in scope grow while the elements
// that declare their own are read, and Release lets that room go: what a
// parked session keeps is the header's declarations.
func TestReleaseShrinksScope(t *testing.T) {
	in := hdr + "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind' xmlns:a='urn:a' xmlns:b='urn:b'><resource>r</resource></bind></iq>"
	r := NewReader(strings.NewReader(in), testLimits, 2048)
	for range 2 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	header := len(r.ns.bindings)
	if cap(r.ns.bindings) <= header {
		t.Fatalf("the element's declarations took no room past the header's %d (cap %d): the test reads nothing", header, cap(r.ns.bindings))
	}
	if !r.Release() {
		t.Fatal("Release with nothing buffered did not let go")
	}
	if len(r.ns.bindings) != header || cap(r.ns.bindings) != header {
		t.Errorf("after Release: %d bindings with room for %d, want the header's %d and no more", len(r.ns.bindings), cap(r.ns.bindings), header)
	}
}

// TestInternFindsEveryConstant: every constant in the table is found, as
// the very string kept, from a string and from bytes, without an
// allocation; anything else comes back as a copy of its own.
func TestInternFindsEveryConstant(t *testing.T) {
	n := 0
	for _, c := range constants {
		if c == "" {
			continue
		}
		n++
		b := []byte(c)
		if got := internBytes(b); got != c || unsafe.StringData(got) != unsafe.StringData(c) {
			t.Errorf("internBytes(%q) is not the constant", c)
		}
		if got := intern(strings.Clone(c)); unsafe.StringData(got) != unsafe.StringData(c) {
			t.Errorf("intern(%q) is not the constant", c)
		}
		if a := testing.AllocsPerRun(10, func() { internBytes(b) }); a != 0 {
			t.Errorf("internBytes(%q) allocates %v times", c, a)
		}
	}
	if n < 50 {
		t.Fatalf("only %d constants in the table", n)
	}
	for _, s := range []string{"", "x", "jabber:clienT", "streams", "bench@localhost"} {
		if got := internBytes([]byte(s)); got != s {
			t.Errorf("internBytes(%q) = %q", s, got)
		}
	}
}
