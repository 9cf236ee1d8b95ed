package lab

import (
	"slices"
	"strings"
	"testing"
)

// TestQuietPacksTranscript: a quiet connection's data is deflated into a
// chunk and the arena let go; the records read back as they were, across
// several chunks and the live tail, and the rules that look back at the
// login (lastSASL) still find it.
func TestQuietPacksTranscript(t *testing.T) {
	b := newBook(t, Options{Keep: 4})
	tr := b.Start("c1", "xmpp", "127.0.0.1:1", "127.0.0.1")
	login := []string{
		"<stream:stream xmlns='jabber:client' to='localhost' version='1.0'>",
		"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>",
		strings.Repeat("<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>", 8),
	}
	for _, s := range login {
		tr.InBytes([]byte(s), len(s), false, Input{Kind: "element"})
		tr.Out([]byte("<ok/>"+s), false)
	}
	tr.Auth("PLAIN", "alice@localhost", true, "")
	before := tr.Records()
	tr.Quiet()
	if tr.Packed() != 1 || tr.arena != nil {
		t.Fatalf("after Quiet: %d chunks, arena %d bytes; want 1 chunk and no arena", tr.Packed(), len(tr.arena))
	}
	if got := tr.Records(); !slices.Equal(got, before) {
		t.Fatalf("records changed by packing:\n got %v\nwant %v", got, before)
	}
	if m, ok := tr.lastSASL(); !ok || m.state != "ok" || m.mechanism != "PLAIN" {
		t.Errorf("lastSASL after packing = %+v, %v; want the PLAIN login", m, ok)
	}
	// More traffic, a second quiet, then a tail that stays unpacked.
	more := strings.Repeat("<message to='bob@localhost'><body>hi</body></message>", 6)
	tr.InBytes([]byte(more), len(more), false, Input{Kind: "element"})
	tr.Quiet()
	tr.Out([]byte("<presence/>"), false) // below minPack: stays in the arena
	tr.Quiet()
	if tr.Packed() != 2 || string(tr.arena) != "<presence/>" {
		t.Fatalf("after the second and third Quiet: %d chunks, arena %q; want 2 and the presence", tr.Packed(), tr.arena)
	}
	got := tr.Records()
	if !slices.Equal(got[:len(before)], before) || got[len(before)].Data != more || got[len(got)-1].Data != "<presence/>" {
		t.Fatalf("records after packing twice:\n%v", got)
	}
	if j := string(tr.MarshalJSONL()); !strings.Contains(j, "jabber:iq:roster") || !strings.Contains(j, `\u003cpresence/\u003e`) {
		t.Errorf("JSONL of a packed transcript lacks its data:\n%s", j)
	}
}
