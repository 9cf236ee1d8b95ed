package muc

import (
	"strings"
	"testing"

	"jabberd/stream"
)

func registerNick(nick string) string {
	return `<iq type='set' id='r' to='` + room + `'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>` +
		`<field var='muc#register_roomnick'><value>` + nick + `</value></field></x></query></iq>`
}

// TestRegisterNick: the form, a registration that makes bob a member (his
// presence says so), the nickname reserved against carol (join and nick
// change), x-roomuser-item, a conflicting registration, kept across a
// restart of a persistent room, and removed with <remove/>.
func TestRegisterNick(t *testing.T) {
	st := &memStore{}
	s, k := newService(t, Options{Store: st})
	join(t, s, alice, "Alice")
	makePersistent(t, s, alice)
	join(t, s, bob, "Bob")
	k.reset()
	send(t, s, bob, `<iq type='get' id='f' to='`+room+`'><query xmlns='jabber:iq:register'/></iq>`)
	g := k.take(bob)
	if len(g) != 1 || g[0].FindElement("query/x/field[@var='muc#register_roomnick']") == nil ||
		g[0].FindElement("query/x/field[@var='FORM_TYPE']/value").Text() != "http://jabber.org/protocol/muc#register" || g[0].FindElement("query/registered") != nil {
		t.Fatalf("the form: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, registerNick("Bobby"))
	g = k.take(bob)
	if len(g) != 2 || item(g[0]) == nil || item(g[0]).SelectAttrValue("affiliation", "") != Member || !has(codes(g[0]), "110") ||
		g[1].SelectAttrValue("type", "") != "result" {
		t.Fatalf("registering: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(alice); len(g) != 1 || item(g[0]).SelectAttrValue("affiliation", "") != Member {
		t.Fatalf("alice sees bob become a member: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, `<iq type='get' id='f2' to='`+room+`'><query xmlns='jabber:iq:register'/></iq>`)
	if g := k.take(bob); len(g) != 1 || g[0].FindElement("query/registered") == nil || g[0].FindElement("query/username").Text() != "Bobby" {
		t.Fatalf("the form once registered: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, `<iq type='get' id='n' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>`)
	if g := k.take(bob); len(g) != 1 || g[0].FindElement("query/identity[@name='Bobby']") == nil || g[0].FindElement("query/identity").SelectAttrValue("category", "") != "conference" {
		t.Fatalf("x-roomuser-item: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, `<iq type='get' id='n' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>`)
	if g := k.take(carol); len(g) != 1 || g[0].SelectAttrValue("type", "") != "result" || g[0].FindElement("query/identity") != nil {
		t.Fatalf("x-roomuser-item without a registration: %s", strings.Join(k.all, "\n"))
	}
	// The nickname is bob's.
	join(t, s, carol, "Bobby")
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "conflict" {
		t.Fatalf("carol as Bobby: %s", strings.Join(k.all, "\n"))
	}
	join(t, s, carol, "Carol")
	k.reset()
	send(t, s, carol, `<presence to='`+room+`/Bobby'/>`)
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "conflict" {
		t.Fatalf("carol renaming to Bobby: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, registerNick("Bobby"))
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "conflict" {
		t.Fatalf("carol registering Bobby: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, `<presence to='`+room+`/Bobby'/>`)
	if g := k.take(bob); len(g) != 2 || !has(codes(g[0]), "303") {
		t.Fatalf("bob taking his nickname: %s", strings.Join(k.all, "\n"))
	}

	// After a restart the registration holds.
	s2, k2 := newService(t, Options{Store: st})
	join(t, s2, carol, "Bobby")
	if g := k2.take(carol); len(g) != 1 || errCond(g[0]) != "conflict" {
		t.Fatalf("carol as Bobby after a restart: %s", stream.Marshal(g[0]))
	}
	// Removing it: bob is no longer a member, and the nickname is free.
	send(t, s, bob, `<iq type='set' id='u' to='`+room+`'><query xmlns='jabber:iq:register'><remove/></query></iq>`)
	if g := k.take(bob); len(g) != 2 || item(g[0]).SelectAttrValue("affiliation", "") != None || g[1].SelectAttrValue("type", "") != "result" {
		t.Fatalf("unregistering: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, `<presence to='`+room+`/Bobby'/>`)
	if g := k.take(carol); len(g) == 0 || errCond(g[0]) != "" {
		t.Fatalf("carol as Bobby once free: %s", strings.Join(k.all, "\n"))
	}
}

// TestRegisterRefused: an outcast and a non-member of a members-only room
// may not register; a form without a nickname is not-acceptable.
func TestRegisterRefused(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	send(t, s, bob, registerNick(""))
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "not-acceptable" {
		t.Fatalf("no nickname: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, `<iq type='set' id='b' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='outcast'/></query></iq>`)
	send(t, s, bob, registerNick("Bob"))
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("an outcast: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_membersonly": "1"}))
	send(t, s, carol, registerNick("Carol"))
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "registration-required" {
		t.Fatalf("members-only: %s", strings.Join(k.all, "\n"))
	}
}
