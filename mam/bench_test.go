package mam

import (
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/store"
)

// BenchmarkArchive is the archive's whole cost of a chat message between
// two resources of one account, as the bench's messages scenario sends:
// the sender's Archive (the stanza-id on the message included) and the
// writer's share of the batches, into an archive at its bound (10 000,
// so each message also drops the oldest), the queue drained before the
// timer stops. Each op archives a fresh copy of the message (the copy is
// the benchmark's, in old and new alike).
func BenchmarkArchive(b *testing.B) {
	db, err := store.Open(store.Path(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := New(Options{Domain: "localhost", Store: db, MaxMessages: 10000, MaxPage: 50, Log: zerolog.Nop()})
	if err != nil {
		b.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<message xmlns='jabber:client' to='bench@localhost/r2' type='chat' id='m1'><body>a message of ordinary length between two resources</body></message>"); err != nil {
		b.Fatal(err)
	}
	msg := doc.Root()
	for range 10000 {
		s.Archive(msg.Copy(), "bench@localhost/r1", "bench@localhost")
	}
	s.Flush()
	for b.Loop() {
		if _, ok := s.Archive(msg.Copy(), "bench@localhost/r1", "bench@localhost"); !ok {
			b.Fatal("not archived")
		}
	}
	s.Flush()
	b.StopTimer()
	s.Close()
}
