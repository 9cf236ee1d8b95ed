package muc

import (
	"strings"
	"testing"

	"jabberd/stream"
)

const alice2 = "alice@localhost/a2"

// TestMultiSessionNick: a second resource of alice's account joins with
// her nickname; it alone is told (the occupants, its own presence with
// 110, the subject); messages and private messages reach both sessions;
// another account gets 409; one session leaving keeps the occupant, the
// last removes it; the bound is resource-constraint; a kick removes all
// sessions.
func TestMultiSessionNick(t *testing.T) {
	s, k := newService(t, Options{MaxSessionsPerNick: 2})
	join(t, s, alice, "Alice")
	join(t, s, bob, "Bob")
	k.reset()
	join(t, s, alice2, "Alice")
	if g := k.take(bob); len(g) != 0 {
		t.Fatalf("bob saw the second session join: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(alice); len(g) != 0 {
		t.Fatalf("the first session saw the second join: %s", strings.Join(k.all, "\n"))
	}
	g := k.take(alice2)
	if len(g) != 3 || g[0].SelectAttrValue("from", "") != room+"/Bob" ||
		g[1].SelectAttrValue("from", "") != room+"/Alice" || !has(codes(g[1]), "110") || g[1].SelectAttrValue("to", "") != alice2 ||
		g[2].SelectElement("subject") == nil {
		t.Fatalf("the second session's join: %s", strings.Join(k.all, "\n"))
	}
	for _, el := range g {
		if el.SelectAttrValue("to", "") != alice2 {
			t.Errorf("the second session's join, addressed elsewhere: %s", stream.Marshal(el))
		}
	}
	if a := item(g[1]).SelectAttrValue("affiliation", ""); a != Owner {
		t.Errorf("the second session's affiliation %q", a)
	}

	// Another account cannot take the nickname.
	join(t, s, carol, "Alice")
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "conflict" {
		t.Fatalf("carol as Alice: %s", strings.Join(k.all, "\n"))
	}
	// The bound.
	join(t, s, "alice@localhost/a3", "Alice")
	if g := k.take("alice@localhost/a3"); len(g) != 1 || errCond(g[0]) != "resource-constraint" {
		t.Fatalf("a third session: %s", strings.Join(k.all, "\n"))
	}

	k.reset()
	send(t, s, bob, `<message to='`+room+`' type='groupchat'><body>hi</body></message>`)
	send(t, s, bob, `<message to='`+room+`/Alice' type='chat'><body>psst</body></message>`)
	for _, j := range []string{alice, alice2} {
		g := k.take(j)
		if len(g) != 2 || g[0].SelectAttrValue("to", "") != j || g[0].SelectElement("body").Text() != "hi" ||
			g[1].SelectAttrValue("to", "") != j || g[1].SelectElement("body").Text() != "psst" || g[1].SelectAttrValue("from", "") != room+"/Bob" {
			t.Errorf("%s: %s", j, strings.Join(k.all, "\n"))
		}
	}
	// Both sessions speak as Alice.
	k.reset()
	send(t, s, alice2, `<message to='`+room+`' type='groupchat'><body>from a2</body></message>`)
	if g := k.take(bob); len(g) != 1 || g[0].SelectAttrValue("from", "") != room+"/Alice" {
		t.Errorf("the second session's message: %s", strings.Join(k.all, "\n"))
	}

	// The first session leaves: it is told (110, role none); bob sees
	// Alice still there (a presence, not unavailable: her real JID is now
	// the second session's).
	k.reset()
	send(t, s, alice, `<presence to='`+room+`/Alice' type='unavailable'/>`)
	if g := k.take(alice); len(g) != 1 || g[0].SelectAttrValue("type", "") != "unavailable" || !has(codes(g[0]), "110") || item(g[0]).SelectAttrValue("role", "") != None {
		t.Fatalf("the leaving session: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(bob); len(g) != 1 || g[0].SelectAttrValue("type", "") != "" {
		t.Fatalf("bob when one session left: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(alice2); len(g) != 1 || item(g[0]).SelectAttrValue("jid", "") != alice2 || !has(codes(g[0]), "110") {
		t.Fatalf("the staying session: %s", strings.Join(k.all, "\n"))
	}
	s.Gone(alice2)
	if g := k.take(bob); len(g) != 1 || g[0].SelectAttrValue("type", "") != "unavailable" || g[0].SelectAttrValue("from", "") != room+"/Alice" {
		t.Fatalf("bob when the last session left: %s", strings.Join(k.all, "\n"))
	}

	// A kick takes every session of the nickname.
	join(t, s, carol, "Carol")
	join(t, s, "carol@localhost/c2", "Carol")
	join(t, s, alice, "Alice")
	k.reset()
	send(t, s, alice, `<iq type='set' id='k' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'/></query></iq>`)
	for _, j := range []string{carol, "carol@localhost/c2"} {
		if g := k.take(j); len(g) != 1 || !has(codes(g[0]), "307") || !has(codes(g[0]), "110") {
			t.Errorf("kicked session %s: %s", j, strings.Join(k.all, "\n"))
		}
	}
	r := s.room("team")
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.byJID) != 2 || r.occupants["Carol"] != nil {
		t.Errorf("after the kick: %d sessions, %s", len(r.byJID), stream.Marshal(r.presenceOf(r.occupants["Bob"], r.occupants["Bob"], nil)))
	}
}
