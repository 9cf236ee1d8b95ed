package muc

import (
	"strings"
	"testing"
	"time"

	"jabberd/stream"
)

// makePersistent submits the configuration form with persistent on.
func makePersistent(t *testing.T, s *Service, owner string) {
	t.Helper()
	send(t, s, owner, submit(map[string]string{"muc#roomconfig_persistentroom": "1"}))
}

// TestHistorySurvivesRestart: a persistent room's history (what was said
// before it became persistent too) is in the store, bounded by MaxHistory,
// and a new service on the same store gives it to a joiner with the
// original stamps; a temporary room's is not stored, and destroying the
// room removes it.
func TestHistorySurvivesRestart(t *testing.T) {
	st := &memStore{}
	// The clock moves a minute at every reading (alice's join reads it
	// once): message n is stamped 05:0(n+1).
	clock := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	s, k := newService(t, Options{MaxHistory: 3, Store: st, Now: func() time.Time { clock = clock.Add(time.Minute); return clock }})
	join(t, s, alice, "Alice")
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>1</body></message>`)
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>2</body></message>`)
	s.Flush()
	if len(st.history) != 0 {
		t.Fatalf("a temporary room's history was stored: %q", st.history)
	}
	makePersistent(t, s, alice)
	for _, b := range []string{"3", "4"} {
		send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>`+b+`</body></message>`)
	}
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><subject>no body, no history</subject></message>`)
	k.reset()
	s.Close() // a shutdown: the queue drains into the store

	s2, k2 := newService(t, Options{MaxHistory: 3, Store: st})
	join(t, s2, bob, "Bob")
	var bodies, stamps []string
	for _, el := range k2.take(bob) {
		b := el.SelectElement("body")
		if b == nil {
			continue
		}
		d := el.SelectElement("delay")
		if el.SelectAttrValue("from", "") != room+"/Alice" || el.SelectAttrValue("to", "") != bob || d == nil || d.SelectAttrValue("from", "") != room {
			t.Errorf("a message of the history: %s", stream.Marshal(el))
			continue
		}
		bodies = append(bodies, b.Text())
		stamps = append(stamps, d.SelectAttrValue("stamp", ""))
	}
	if strings.Join(bodies, ",") != "2,3,4" {
		t.Errorf("history after a restart %v, want 2,3,4", bodies)
	}
	if strings.Join(stamps, ",") != "2026-12-07T05:03:00Z,2026-12-07T05:04:00Z,2026-12-07T05:05:00Z" {
		t.Errorf("stamps after a restart %v", stamps)
	}

	// A smaller bound after the restart gives fewer.
	s3, k3 := newService(t, Options{MaxHistory: 1, Store: st})
	join(t, s3, carol, "Carol")
	n := 0
	for _, el := range k3.take(carol) {
		if el.SelectElement("body") != nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("max history 1 after a restart: %d messages", n)
	}

	send(t, s2, alice, `<iq type='set' id='d' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>`)
	s2.Flush()
	if h, _ := st.RoomHistory("conference.localhost", "team"); len(h) != 0 {
		t.Errorf("history of a destroyed room: %q", h)
	}
}
