package chat_test

import (
	"regexp"
	"strings"
	"testing"

	"jabberd/chat"
	"jabberd/store"
)

func TestRosterGet(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a := e.bind(aliceL)
	e.send(a, `<iq from='alice@example.com/laptop' id='r1' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "empty roster", a, `<iq id='r1' type='result' to='alice@example.com/laptop'><query xmlns='jabber:iq:roster' ver='0'/></iq>`)

	e.setItem("alice", store.RosterItem{JID: bobBare, Name: "Bob", Subscription: store.SubBoth, Groups: []string{"Work", "Friends"}})
	e.setItem("alice", store.RosterItem{JID: carolBare, Subscription: store.SubNone, PendingIn: true, PendingInStanza: []byte(`<presence/>`), Hidden: true})
	e.setItem("alice", store.RosterItem{JID: daveBare, Subscription: store.SubNone, Ask: true})
	const full = `<iq id='r2' type='result' to='alice@example.com/laptop'><query xmlns='jabber:iq:roster' ver='3'>` +
		`<item jid='bob@example.com' name='Bob' subscription='both'><group>Friends</group><group>Work</group></item>` +
		`<item jid='dave@example.com' subscription='none' ask='subscribe'/></query></iq>`
	e.send(a, `<iq from='alice@example.com/laptop' id='r2' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "roster without the hidden request", a, full)

	// RFC 6121 §2.6: with the current version, an empty result; with an
	// older (or empty) one, the whole roster.
	e.send(a, `<iq from='alice@example.com/laptop' id='r3' type='get'><query xmlns='jabber:iq:roster' ver='3'/></iq>`)
	expect(t, "current version", a, `<iq id='r3' type='result' to='alice@example.com/laptop'/>`)
	e.send(a, `<iq from='alice@example.com/laptop' id='r2' type='get'><query xmlns='jabber:iq:roster' ver='2'/></iq>`)
	expect(t, "older version", a, full)
	e.send(a, `<iq from='alice@example.com/laptop' id='r2' type='get'><query xmlns='jabber:iq:roster' ver=''/></iq>`)
	expect(t, "empty version", a, full)

	// To the own bare JID: the same; to the server: not a roster.
	e.send(a, `<iq from='alice@example.com/laptop' to='alice@example.com' id='r2' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "to the own bare JID", a, full)
	e.send(a, `<iq from='alice@example.com/laptop' to='example.com' id='r4' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "to the server", a, `<iq id='r4' type='error' from='example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:roster'/>`+errSvc+`</iq>`)
	// Neither get nor set.
	e.send(a, `<iq from='alice@example.com/laptop' id='r5' type='result'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "a result", a)
}

func TestRosterSetAndPush(t *testing.T) {
	e := newEnv(t, chat.Options{})
	lap, phone := e.bind(aliceL), e.bind(aliceP)
	tab := e.bind("alice@example.com/tablet") // never asks for the roster
	e.rosterGet(lap)
	e.rosterGet(phone)

	e.send(lap, `<iq from='alice@example.com/laptop' id='s1' type='set'><query xmlns='jabber:iq:roster'>`+
		`<item jid='Bob@Example.COM' name='Bob &amp; co' subscription='both' ask='subscribe'><group>Work</group><group> Friends </group></item></query></iq>`)
	item := `<item jid='bob@example.com' name='Bob &amp; co' subscription='none'><group>Friends</group><group>Work</group></item>`
	// The push goes to every resource that asked for the roster, each with
	// its own id; the result to the requester after it.
	lapGot, phoneGot := lap.take(), phone.take()
	idOf := regexp.MustCompile(`^<iq id='([^']*)'`)
	if len(lapGot) > 0 && len(phoneGot) > 0 && idOf.FindString(lapGot[0]) == idOf.FindString(phoneGot[0]) {
		t.Errorf("two resources got pushes with the same id: %s", idOf.FindString(lapGot[0]))
	}
	check(t, "laptop", lapGot, push(aliceL, 1, item), `<iq id='s1' type='result' to='alice@example.com/laptop'/>`)
	check(t, "phone", phoneGot, push(aliceP, 1, item))
	expect(t, "tablet", tab)
	e.wantItem("alice", bobBare, &store.RosterItem{Name: "Bob & co", Subscription: store.SubNone, Groups: []string{"Friends", "Work"}})

	// Updated: name changed, groups dropped.
	e.send(phone, `<iq from='alice@example.com/phone' id='s2' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' name='Bobby'/></query></iq>`)
	expect(t, "laptop", lap, push(aliceL, 2, `<item jid='bob@example.com' name='Bobby' subscription='none'/>`))
	expect(t, "phone", phone, push(aliceP, 2, `<item jid='bob@example.com' name='Bobby' subscription='none'/>`), `<iq id='s2' type='result' to='alice@example.com/phone'/>`)
	e.wantItem("alice", bobBare, &store.RosterItem{Name: "Bobby", Subscription: store.SubNone})

	// A set keeps the subscription state, which is the server's.
	e.setItem("alice", store.RosterItem{JID: carolBare, Subscription: store.SubFrom})
	e.send(lap, `<iq from='alice@example.com/laptop' id='s3' type='set'><query xmlns='jabber:iq:roster'><item jid='carol@example.com' subscription='none'><group>G</group></item></query></iq>`)
	expect(t, "laptop", lap, push(aliceL, 4, `<item jid='carol@example.com' subscription='from'><group>G</group></item>`), `<iq id='s3' type='result' to='alice@example.com/laptop'/>`)
	phone.take()
	e.wantItem("alice", carolBare, &store.RosterItem{Subscription: store.SubFrom, Groups: []string{"G"}})

	// A set on a hidden request makes it a roster item; the request stays.
	e.setItem("alice", store.RosterItem{JID: daveBare, Subscription: store.SubNone, PendingIn: true, PendingInStanza: []byte(`<presence/>`), Hidden: true})
	e.send(lap, `<iq from='alice@example.com/laptop' id='s4' type='set'><query xmlns='jabber:iq:roster'><item jid='dave@example.com' name='Dave'/></query></iq>`)
	expect(t, "laptop", lap, push(aliceL, 6, `<item jid='dave@example.com' name='Dave' subscription='none'/>`), `<iq id='s4' type='result' to='alice@example.com/laptop'/>`)
	e.wantItem("alice", daveBare, &store.RosterItem{Name: "Dave", Subscription: store.SubNone, PendingIn: true, PendingInStanza: []byte(`<presence/>`)})
	if v := e.version("alice"); v != 6 {
		t.Errorf("version %d, want 6", v)
	}
}

// check is expect on strings already taken.
func check(t *testing.T, who string, got []string, want ...string) {
	t.Helper()
	f := newFake(who)
	f.got = got
	expect(t, who, f, want...)
}

func TestRosterSetErrors(t *testing.T) {
	const (
		badReq = `<error code='400' type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>%s</text></error>`
		notAcc = `<error code='406' type='modify'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>%s</text></error>`
		notAll = `<error code='405' type='cancel'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>%s</text></error>`
	)
	for _, tc := range []struct{ name, query, err, text string }{
		{"two items", `<item jid='bob@example.com'/><item jid='carol@example.com'/>`, badReq, "a roster set carries exactly one item"},
		{"no item", ``, badReq, "a roster set carries exactly one item"},
		{"no jid", `<item name='x'/>`, badReq, "the item has no jid"},
		{"full JID", `<item jid='bob@example.com/desk'/>`, badReq, "a roster item is a bare JID, without a resource"},
		{"empty local part", `<item jid='@example.com'/>`, badReq, `the jid "@example.com" is not valid`},
		{"empty domain", `<item jid='bob@'/>`, badReq, `the jid "bob@" is not valid`},
		{"empty group", `<item jid='bob@example.com'><group>Friends</group><group> </group></item>`, notAcc, "a group name must not be empty"},
		{"duplicate group", `<item jid='bob@example.com'><group>Friends</group><group>Friends </group></item>`, badReq, `the group "Friends" is given twice`},
		{"own JID", `<item jid='alice@example.com'/>`, notAll, "the roster holds contacts, not the account itself"},
		{"own JID in another case", `<item jid='ALICE@example.com' name='me'/>`, notAll, "the roster holds contacts, not the account itself"},
		{"own JID, remove", `<item jid='alice@example.com' subscription='remove'/>`, notAll, "the roster holds contacts, not the account itself"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			a, p := e.bind(aliceL), e.bind(aliceP)
			e.rosterGet(a)
			e.rosterGet(p)
			query := `<query xmlns='jabber:iq:roster'>` + tc.query + `</query>`
			if tc.query == "" {
				query = `<query xmlns='jabber:iq:roster'/>`
			}
			e.send(a, `<iq from='alice@example.com/laptop' id='x' type='set'>`+query+`</iq>`)
			errEl := strings.Replace(tc.err, "%s", tc.text, 1)
			expect(t, "laptop", a, `<iq id='x' type='error' to='alice@example.com/laptop' from='example.com'>`+query+errEl+`</iq>`)
			expect(t, "phone: no push", p)
			items, v, err := e.db.Roster("alice")
			if err != nil || len(items) != 0 || v != 0 {
				t.Errorf("roster changed: %v, version %d, %v", items, v, err)
			}
		})
	}
}

func TestRosterRemove(t *testing.T) {
	e := newEnv(t, chat.Options{})
	e.relate("alice", "bob", store.SubBoth)
	a, b := e.online(aliceL), e.online(bobD)
	p := e.bind(aliceP) // asked for the roster, not available
	e.rosterGet(a)
	e.rosterGet(b)
	e.rosterGet(p)
	a.take()

	e.send(a, `<iq from='alice@example.com/laptop' id='rm' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' subscription='remove'/></query></iq>`)
	// RFC 6121 §2.5.2: unsubscribe and unsubscribed go to bob on alice's
	// behalf, each moving both rosters (pushes), each taking presence away;
	// then the item goes, and the removal is pushed.
	expect(t, "alice's laptop", a,
		push(aliceL, 2, `<item jid='bob@example.com' subscription='from'/>`),
		`<presence from='bob@example.com/desk' to='alice@example.com/laptop' type='unavailable'/>`,
		push(aliceL, 3, `<item jid='bob@example.com' subscription='none'/>`),
		`<iq id='rm' type='result' to='alice@example.com/laptop'/>`,
		push(aliceL, 4, `<item jid='bob@example.com' subscription='remove'/>`))
	expect(t, "alice's phone", p,
		push(aliceP, 2, `<item jid='bob@example.com' subscription='from'/>`),
		push(aliceP, 3, `<item jid='bob@example.com' subscription='none'/>`),
		push(aliceP, 4, `<item jid='bob@example.com' subscription='remove'/>`))
	expect(t, "bob", b,
		push(bobD, 2, `<item jid='alice@example.com' subscription='to'/>`),
		`<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribe'/>`,
		push(bobD, 3, `<item jid='alice@example.com' subscription='none'/>`),
		`<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribed'/>`,
		`<presence from='alice@example.com/laptop' to='bob@example.com/desk' type='unavailable'/>`)
	e.wantItem("alice", bobBare, nil)
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubNone})
	if v := e.version("alice"); v != 4 {
		t.Errorf("alice's version %d, want 4", v)
	}

	// Presence no longer flows either way.
	e.send(a, `<presence from='alice@example.com/laptop'><show>away</show></presence>`)
	expect(t, "bob", b)
	a.take()

	// Removing it again, or a contact never added: item-not-found.
	const notFound = `<error code='404' type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
	for _, jid := range []string{bobBare, "nobody@example.com"} {
		e.send(a, `<iq from='alice@example.com/laptop' id='rm2' type='set'><query xmlns='jabber:iq:roster'><item jid='`+jid+`' subscription='remove'/></query></iq>`)
		expect(t, "alice removing "+jid, a,
			`<iq id='rm2' type='error' to='alice@example.com/laptop' from='example.com'><query xmlns='jabber:iq:roster'><item jid='`+jid+`' subscription='remove'/></query>`+notFound+`</iq>`)
	}
	if v := e.version("alice"); v != 4 {
		t.Errorf("alice's version %d after failed removals, want 4", v)
	}
}

func TestRosterRemoveWithoutSubscription(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a, b := e.online(aliceL), e.online(bobD)
	e.rosterGet(a)
	e.rosterGet(b)
	e.send(a, `<iq from='alice@example.com/laptop' id='s' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com'/></query></iq>`)
	a.take()
	e.send(a, `<iq from='alice@example.com/laptop' id='rm' type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' subscription='remove'/></query></iq>`)
	expect(t, "alice", a,
		`<iq id='rm' type='result' to='alice@example.com/laptop'/>`,
		push(aliceL, 2, `<item jid='bob@example.com' subscription='remove'/>`))
	expect(t, "bob: nothing to cancel", b)
	e.wantItem("alice", bobBare, nil)
}

func TestRosterRemoveCancelsPendingRequests(t *testing.T) {
	// alice asked bob; bob added alice (so the request is a visible item)
	// and removes her: the request is denied. alice never saw bob's
	// presence, so no unavailable follows.
	e := newEnv(t, chat.Options{})
	a, b := e.online(aliceL), e.online(bobD)
	e.rosterGet(a)
	e.rosterGet(b)
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	e.send(b, `<iq from='bob@example.com/desk' id='s' type='set'><query xmlns='jabber:iq:roster'><item jid='alice@example.com'/></query></iq>`)
	a.take()
	b.take()
	e.send(b, `<iq from='bob@example.com/desk' id='rm' type='set'><query xmlns='jabber:iq:roster'><item jid='alice@example.com' subscription='remove'/></query></iq>`)
	expect(t, "alice", a,
		push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`),
		`<presence from='bob@example.com' to='alice@example.com/laptop' type='unsubscribed'/>`)
	expect(t, "bob", b,
		push(bobD, 3, `<item jid='alice@example.com' subscription='none'/>`),
		`<iq id='rm' type='result' to='bob@example.com/desk'/>`,
		push(bobD, 4, `<item jid='alice@example.com' subscription='remove'/>`))
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone})
	e.wantItem("bob", aliceBare, nil)

	// A hidden request is not an item to remove.
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	b.take()
	e.send(b, `<iq from='bob@example.com/desk' id='rm2' type='set'><query xmlns='jabber:iq:roster'><item jid='alice@example.com' subscription='remove'/></query></iq>`)
	expect(t, "bob", b, `<iq id='rm2' type='error' to='bob@example.com/desk' from='example.com'><query xmlns='jabber:iq:roster'><item jid='alice@example.com' subscription='remove'/></query>`+
		`<error code='404' type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

// TestRosterLimit: past Options.MaxRosterItems a new item is refused with
// resource-constraint; changing an existing item still works.
func TestRosterLimit(t *testing.T) {
	e := newEnv(t, chat.Options{MaxRosterItems: 2})
	a := e.bind("alice@example.com/desk")
	set := func(id, jid, name string) string {
		e.send(a, `<iq id='`+id+`' type='set'><query xmlns='jabber:iq:roster'><item jid='`+jid+`' name='`+name+`'/></query></iq>`)
		got := a.take()
		if len(got) != 1 {
			t.Fatalf("%s: %d answers %q", id, len(got), got)
		}
		return got[0]
	}
	for i, jid := range []string{"bob@example.com", "carol@example.com"} {
		if got := set("s"+string(rune('1'+i)), jid, "x"); got != "<iq id='s"+string(rune('1'+i))+"' type='result' to='alice@example.com/desk'/>" {
			t.Fatalf("set %s: %s", jid, got)
		}
	}
	want := "<iq id='s3' type='error' from='example.com'><query xmlns='jabber:iq:roster'><item jid='dave@example.com' name='x'/></query><error code='500' type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the roster holds 2 items, the most this server keeps</text></error></iq>"
	if got := set("s3", "dave@example.com", "x"); got != want {
		t.Fatalf("third item:\n got %s\nwant %s", got, want)
	}
	if got := set("s4", "bob@example.com", "renamed"); got != "<iq id='s4' type='result' to='alice@example.com/desk'/>" {
		t.Fatalf("renaming an existing item: %s", got)
	}
}
