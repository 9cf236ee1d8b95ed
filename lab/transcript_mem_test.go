package lab

import (
	"testing"
	"unsafe"
)

// TestKeyDesc: the correlation key in words, as the fallback verdict's
// reason says it, for a dedicated port and for a labelled run (a label
// may hold anything, '|' included).
func TestKeyDesc(t *testing.T) {
	for key, want := range map[string]string{
		"port 127.0.0.1:5223|127.0.0.1":         "port 127.0.0.1:5223",
		"label run1|127.0.0.1:5222|::1":         "label run1, port 127.0.0.1:5222",
		"label a|b|[::1]:5222|2001:db8::1":      "label a|b, port [::1]:5222",
		"port [2001:db8::2]:5223|2001:db8::1":   "port [2001:db8::2]:5223",
		"label x y|127.0.0.1:15222|192.0.2.200": "label x y, port 127.0.0.1:15222",
	} {
		if got := keyDesc(key); got != want {
			t.Errorf("keyDesc(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestDoneMadeWhenAsked: a transcript's Done channel is made only when
// someone waits for it (a live session keeps no channel otherwise); asked
// before End it is closed by End, asked after it is closed already.
func TestDoneMadeWhenAsked(t *testing.T) {
	b := newBook(t, Options{Keep: 4})
	early, late := b.Start("c1", "xmpp", "127.0.0.1:1", "127.0.0.1"), b.Start("c2", "xmpp", "127.0.0.1:2", "127.0.0.1")
	if early.done != nil || late.done != nil {
		t.Fatal("a new transcript has a Done channel before anyone asked")
	}
	done := early.Done()
	select {
	case <-done:
		t.Fatal("Done is closed while the connection is live")
	default:
	}
	early.End("client closed the stream")
	late.End("client closed the stream")
	for _, c := range []<-chan struct{}{done, early.Done(), late.Done()} {
		select {
		case <-c:
		default:
			t.Fatal("Done is not closed after End")
		}
	}
	// What a live session holds: the Transcript is in the 768-byte class.
	if n := unsafe.Sizeof(Transcript{}); n > 768 {
		t.Errorf("Transcript is %d bytes, past the 768-byte size class", n)
	}
}
