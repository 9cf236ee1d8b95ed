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
	if tr.Packed() != 1 || tr.arena != nil || tr.records != nil {
		t.Fatalf("after Quiet: %d chunks, arena %d bytes, %d entries; want 1 chunk, no arena, no entries", tr.Packed(), len(tr.arena), len(tr.records))
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

// TestWalkInflatesEachChunkOnce: the rules that walk back over the
// client's records (lastSASL past a long session's input, then
// inputTagsSince forward from the login) and the walk for the status page
// (Records) inflate each packed chunk once per walk, not once per record
// read.
func TestWalkInflatesEachChunkOnce(t *testing.T) {
	b := newBook(t, Options{Keep: 4})
	tr := b.Start("c1", "xmpp", "127.0.0.1:1", "127.0.0.1")
	auth := "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
	tr.InBytes([]byte(auth), len(auth), true, Input{Kind: "element"})
	tr.Auth("PLAIN", "alice@localhost", true, "")
	iq := "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>"
	const perChunk = 20
	for range 2 { // two chunks of client records after the login
		for range perChunk {
			tr.InBytes([]byte(iq), len(iq), false, Input{Kind: "element"})
			tr.Out([]byte("<iq type='result' id='r1'/>"), false)
		}
		tr.Quiet()
	}
	if tr.Packed() != 2 {
		t.Fatalf("%d chunks, want 2", tr.Packed())
	}
	// inflations runs walk under the lock, as the rules run, and counts
	// the chunks it inflated.
	inflations := func(walk func() bool) (int, bool) {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		before := tr.inflated
		ok := walk()
		return int(tr.inflated - before), ok
	}
	n, ok := inflations(func() bool { m, ok := tr.lastSASL(); return ok && m.state == "ok" })
	if !ok || n != 2 {
		t.Errorf("lastSASL: found the login %v, inflated %d chunks; want true, 2 (the login is in the first)", ok, n)
	}
	n, ok = inflations(func() bool {
		m, _ := tr.lastSASL()
		tags := tr.inputTagsSince(m.at)
		return len(tags) == 2*perChunk && tags[0] == "iq"
	})
	if !ok || n != 4 {
		t.Errorf("lastSASL, then inputTagsSince: read the tags %v, inflated %d chunks; want true, 4 (2 each walk)", ok, n)
	}
	tr.mu.Lock()
	before := tr.inflated
	tr.mu.Unlock()
	if got := len(tr.Records()); got != 3+4*perChunk { // the open, the <auth/>, the outcome, the session
		t.Errorf("Records: %d records, want %d", got, 3+4*perChunk)
	}
	tr.mu.Lock()
	n = int(tr.inflated - before)
	tr.mu.Unlock()
	if n != 2 {
		t.Errorf("Records inflated %d chunks, want 2", n)
	}
}

// TestQuietDeflatesWithTheDictionary: a login's chunk, its data and its
// entries, is deflated against packDict, so it keeps little more than what
// differs between logins (about 380 bytes, 180–200 of them the data; deflated
// alone the same login's data took about 850, and the entries 768 bytes
// beside it), and it reads back as it was.
func TestQuietDeflatesWithTheDictionary(t *testing.T) {
	b := newBook(t, Options{Keep: 4})
	tr := loginTranscript(b, 7)
	before := tr.Records()
	tr.Quiet()
	if tr.Packed() != 1 || len(tr.chunks[0].z) > 450 || tr.records != nil {
		t.Fatalf("a login packed into %d chunks, the first %d bytes, %d entries left; want 1 of at most 450, none left", tr.Packed(), len(tr.chunks[0].z), len(tr.records))
	}
	if got := tr.Records(); !slices.Equal(got, before) {
		t.Fatalf("records changed by packing:\n got %v\nwant %v", got, before)
	}
}
