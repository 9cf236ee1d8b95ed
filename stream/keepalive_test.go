package stream

import (
	"errors"
	"testing"
)

// TestFillTakesKeepalives: a read of whitespace alone between elements is
// taken by Fill (ErrKeepalive), with or without a release after it, and
// the offsets of what follows count it; whitespace that comes with an
// element, or before the header, is left to Next.
func TestFillTakesKeepalives(t *testing.T) {
	header := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>"
	in := chunks{" ", header, " \n", "\t", " <presence/>", "</stream:stream>"}
	r := NewReader(&in, Limits{}, 2048)
	if err := r.Fill(); err != nil {
		t.Fatalf("whitespace before the header: Fill = %v, want nil (it is Next's)", err)
	}
	if ev, err := r.Next(); err != nil || ev.Kind != KindHeader || ev.End != int64(1+len(header)) {
		t.Fatalf("header: %v %v", describe(ev), err)
	}
	for i, release := range []bool{false, true} {
		if err := r.Fill(); !errors.Is(err, ErrKeepalive) {
			t.Fatalf("keepalive %d: Fill = %v, want ErrKeepalive", i, err)
		}
		if r.Buffered() != 0 {
			t.Fatalf("keepalive %d: %d bytes left buffered", i, r.Buffered())
		}
		if release && !r.Release() {
			t.Fatalf("keepalive %d: Release refused after it", i)
		}
	}
	if err := r.Fill(); err != nil {
		t.Fatalf("whitespace with an element: Fill = %v, want nil", err)
	}
	ev, err := r.Next()
	if want := int64(1 + len(header) + 3 + 12); err != nil || ev.Kind != KindElement || ev.End != want {
		t.Fatalf("presence: %s ending at %d (%v), want ending at %d", describe(ev), ev.End, err, want)
	}
	if ev, err := r.Next(); err != nil || ev.Kind != KindClose {
		t.Fatalf("close: %s %v", describe(ev), err)
	}
}
