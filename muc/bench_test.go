package muc

import (
	"strconv"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/store"
	"jabberd/stream"
)

// marshalSink serializes every copy, as a session's writer would: the
// cost of a delivered copy includes its bytes.
type marshalSink struct{ bytes int }

func (k *marshalSink) DeliverTo(_ string, el *etree.Element) bool {
	k.bytes += len(stream.Marshal(el))
	return true
}

// BenchmarkRoomMessage50 is one groupchat message to a room of 50
// occupants: the room's checks, the history entry and 50 copies, each
// addressed and serialized. copies/s and ns/copy are per delivered copy.
func BenchmarkRoomMessage50(b *testing.B) {
	s, err := New(Options{Domain: "conference.localhost", Log: zerolog.Nop(), Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	k := &marshalSink{}
	s.Attach(k)
	for i := range 50 {
		from := "user" + strconv.Itoa(i) + "@localhost/r"
		doc := etree.NewDocument()
		doc.ReadFromString("<presence to='team@conference.localhost/u" + strconv.Itoa(i) + "'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
		s.Handle(from, doc.Root())
	}
	doc := etree.NewDocument()
	doc.ReadFromString("<message to='team@conference.localhost' type='groupchat' id='m1'><body>a message of ordinary length to everyone in the room</body></message>")
	msg := doc.Root()
	msg.CreateAttr("from", "user0@localhost/r")
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Handle("user0@localhost/r", msg)
	}
	b.StopTimer()
	el := b.Elapsed()
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(b.N*50)/el.Seconds(), "copies/s")
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N*50), "ns/copy")
}

// BenchmarkPersistentRoomMessage is one groupchat message to a persistent
// room of one occupant with the real store: the room's work and its share
// of the history's writes (the queue drained before the timer stops).
func BenchmarkPersistentRoomMessage(b *testing.B) {
	db, err := store.Open(store.Path(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := New(Options{Domain: "conference.localhost", Log: zerolog.Nop(), Now: time.Now, Store: db})
	if err != nil {
		b.Fatal(err)
	}
	s.Attach(&marshalSink{})
	handle := func(from, x string) {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(x); err != nil {
			b.Fatal(err)
		}
		s.Handle(from, doc.Root())
	}
	const owner = "user0@localhost/r"
	handle(owner, "<presence to='team@conference.localhost/u0'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	handle(owner, "<iq type='set' id='c1' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field><field var='muc#roomconfig_persistentroom'><value>1</value></field></x></query></iq>")
	doc := etree.NewDocument()
	doc.ReadFromString("<message to='team@conference.localhost' type='groupchat' id='m1'><body>a message of ordinary length to everyone in the room</body></message>")
	msg := doc.Root()
	for b.Loop() {
		s.Handle(owner, msg)
	}
	s.Close()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
