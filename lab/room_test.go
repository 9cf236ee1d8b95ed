package lab

import (
	"slices"
	"strings"
	"testing"
)

// TestEndedTranscriptKeepsItsRecords: the room an ended or quiet
// transcript gives back is taken by the next connections, which record
// other bytes into it; what the ended one shows stays what it recorded,
// and its arena and records hold no more than that.
func TestEndedTranscriptKeepsItsRecords(t *testing.T) {
	b := newBook(t, Options{Keep: 8})
	record := func(id, text string) *Transcript {
		tr := b.Start(id, "xmpp", "127.0.0.1:1", "127.0.0.1")
		tr.InBytes([]byte(text), len(text), false, Input{Kind: "element"})
		tr.Out([]byte("<ok>"+text+"</ok>"), false)
		return tr
	}
	first := record("c1", strings.Repeat("a", 300))
	first.End("done")
	want := first.Records()
	if cap(first.arena) >= arenaRoom || cap(first.records) >= recordsRoom {
		t.Errorf("ended transcript keeps room: arena %d of %d bytes, records %d of %d",
			len(first.arena), cap(first.arena), len(first.records), cap(first.records))
	}
	quiet := record("c2", strings.Repeat("q", 400))
	quiet.Quiet() // deflated: its arena goes back too
	wantQuiet := quiet.Records()
	for i := range 20 {
		tr := record("n"+strings.Repeat("x", i), strings.Repeat("b", 1000+i))
		if i%2 == 0 {
			tr.End("done")
		}
	}
	if got := first.Records(); !slices.Equal(got, want) {
		t.Fatalf("ended transcript changed after its room was reused:\n got %v\nwant %v", got, want)
	}
	if got := quiet.Records(); !slices.Equal(got, wantQuiet) {
		t.Fatalf("quiet transcript changed after its room was reused:\n got %v\nwant %v", got, wantQuiet)
	}
}
