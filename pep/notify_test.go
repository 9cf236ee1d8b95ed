package pep

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/store"
	"jabberd/stream"
)

// session is a bound session that keeps what it is sent.
type session struct {
	jid string
	mu  sync.Mutex
	got []*etree.Element
}

func (s *session) JID() string { return s.jid }
func (s *session) Replace()    {}
func (s *session) Deliver(el *etree.Element) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, el)
	return nil
}

// TestNotifyMakesTheEventOnce: a publish notifies each of the owner's
// three sessions whose caps want the node, and the event (which parses
// the stored payload) is made once for all of them, not once per message
// (1b00b84); each message carries its own copy, so that one session's
// stanza changed on the way (a stamp, a to) is not another's.
func TestNotifyMakesTheEventOnce(t *testing.T) {
	db, err := store.Open(store.Path(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(Options{Domain: "localhost", Store: db, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	r := chat.NewRouter("localhost", db, chat.Options{}, zerolog.Nop())
	s.UseRouter(r)
	s.caps.known.Add(capsKey("sha-1", "v1"), map[string]bool{"urn:x+notify": true})

	var sessions []*session
	for _, res := range []string{"a", "b", "c", "no-caps"} {
		sess := &session{jid: "alice@localhost/" + res}
		r.Bind(sess)
		p := "<presence/>"
		if res != "no-caps" {
			p = "<presence><c xmlns='" + NSCaps + "' hash='sha-1' node='n' ver='v1'/></presence>"
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromString(p); err != nil {
			t.Fatal(err)
		}
		r.Route(sess, doc.Root())
		sessions = append(sessions, sess)
	}
	for _, sess := range sessions {
		sess.mu.Lock()
		sess.got = nil // the presences of her sessions
		sess.mu.Unlock()
	}

	made := 0
	s.notify("alice", "urn:x", Config{}, func() *etree.Element {
		made++
		return itemsEvent("urn:x", Item{ID: "i1", Payload: "<x xmlns='urn:x'>1</x>"}.element())
	})
	if made != 1 {
		t.Errorf("the event was made %d times for one publish, want once", made)
	}
	var events []*etree.Element
	for _, sess := range sessions {
		want := 1
		if strings.HasSuffix(sess.jid, "no-caps") {
			want = 0
		}
		if len(sess.got) != want {
			t.Fatalf("%s got %d stanzas, want %d", sess.jid, len(sess.got), want)
		}
		for _, m := range sess.got {
			if got := string(stream.Marshal(m)); !strings.Contains(got, "<item id='i1'><x xmlns='urn:x'>1</x></item>") || !strings.Contains(got, "to='"+sess.jid+"'") {
				t.Errorf("%s got %s", sess.jid, got)
			}
			events = append(events, m.ChildElements()[0])
		}
	}
	for i, ev := range events {
		if slices.Contains(events[:i], ev) {
			t.Errorf("two messages carry the same <event/> element")
		}
	}
}
