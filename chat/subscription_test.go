package chat_test

import (
	"fmt"
	"testing"

	"jabberd/chat"
	"jabberd/store"
)

// push is the serialized roster push of one item at version ver.
func push(to string, ver int, item string) string {
	return fmt.Sprintf(`<iq id='push-%d-0' type='set' to='%s'><query xmlns='jabber:iq:roster' ver='%d'>%s</query></iq>`, ver, to, ver, item)
}

// subWorld: alice (laptop) and bob (desk) online, both having asked for
// their rosters.
func subWorld(t *testing.T) (*env, *fake, *fake) {
	e := newEnv(t, chat.Options{})
	a, b := e.online(aliceL), e.online(bobD)
	e.rosterGet(a)
	e.rosterGet(b)
	a.take()
	b.take()
	return e, a, b
}

func TestSubscribeAndApprove(t *testing.T) {
	e, a, b := subWorld(t)

	// alice asks (RFC 6121 §3.1.2-3); the stanza carries her bare JID and
	// her status text.
	e.send(a, `<presence from='alice@example.com/laptop' to='Bob@example.com' type='subscribe'><status>hi, it is alice</status></presence>`)
	request := `<presence from='alice@example.com' to='bob@example.com' type='subscribe'><status>hi, it is alice</status></presence>`
	expect(t, "alice", a, push(aliceL, 1, `<item jid='bob@example.com' subscription='none' ask='subscribe'/>`))
	expect(t, "bob: the request, no roster push", b, at(request, bobD))
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone, Ask: true})
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubNone, PendingIn: true, PendingInStanza: []byte(request), Hidden: true})

	// The request is not a roster item of bob's.
	e.send(b, `<iq from='bob@example.com/desk' id='g1' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	expect(t, "bob's roster", b, `<iq id='g1' type='result' to='bob@example.com/desk'><query xmlns='jabber:iq:roster' ver='1'/></iq>`)

	// bob approves.
	e.send(b, `<presence from='bob@example.com/desk' to='alice@example.com' type='subscribed'/>`)
	expect(t, "bob", b, push(bobD, 2, `<item jid='alice@example.com' subscription='from'/>`))
	expect(t, "alice", a,
		push(aliceL, 2, `<item jid='bob@example.com' subscription='to'/>`),
		`<presence from='bob@example.com' to='alice@example.com/laptop' type='subscribed'/>`,
		`<presence from='bob@example.com/desk' to='alice@example.com/laptop'/>`)
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubTo})
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubFrom})

	// From now on bob's presence reaches alice, not the other way round.
	e.send(b, `<presence from='bob@example.com/desk'><show>dnd</show></presence>`)
	expect(t, "alice", a, `<presence from='bob@example.com/desk' to='alice@example.com/laptop'><show>dnd</show></presence>`)
	expect(t, "bob (echo)", b, `<presence from='bob@example.com/desk' to='bob@example.com/desk'><show>dnd</show></presence>`)
	e.send(a, `<presence from='alice@example.com/laptop'><show>xa</show></presence>`)
	expect(t, "bob", b)
	expect(t, "alice (echo)", a, `<presence from='alice@example.com/laptop' to='alice@example.com/laptop'><show>xa</show></presence>`)

	// An approval repeated is a no-op (nothing pending).
	e.send(b, `<presence from='bob@example.com/desk' to='alice@example.com' type='subscribed'/>`)
	expect(t, "alice", a)
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubFrom})
}

func TestMutualSubscription(t *testing.T) {
	e, a, b := subWorld(t)
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	e.send(b, `<presence from='bob@example.com/desk' to='alice@example.com' type='subscribed'/>`)
	a.take()
	b.take()

	// bob asks back.
	e.send(b, `<presence from='bob@example.com/desk' to='alice@example.com' type='subscribe'/>`)
	expect(t, "bob", b, push(bobD, 3, `<item jid='alice@example.com' subscription='from' ask='subscribe'/>`))
	aliceGot := a.take()
	want := `<presence from='bob@example.com' to='alice@example.com' type='subscribe'/>`
	if len(aliceGot) == 0 || aliceGot[len(aliceGot)-1] != at(want, aliceL) {
		t.Errorf("alice received %q; want the request last", aliceGot)
	}
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubTo, PendingIn: true, PendingInStanza: []byte(want)})
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubFrom, Ask: true})

	// alice approves: both.
	vA, vB := e.version("alice"), e.version("bob")
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribed'/>`)
	expect(t, "alice", a, push(aliceL, int(vA)+1, `<item jid='bob@example.com' subscription='both'/>`))
	expect(t, "bob", b,
		push(bobD, int(vB)+1, `<item jid='alice@example.com' subscription='both'/>`),
		`<presence from='alice@example.com' to='bob@example.com/desk' type='subscribed'/>`,
		`<presence from='alice@example.com/laptop' to='bob@example.com/desk'/>`)
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubBoth})
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubBoth})

	// Each sees the other now.
	e.send(a, `<presence from='alice@example.com/laptop'><show>away</show></presence>`)
	expect(t, "bob", b, `<presence from='alice@example.com/laptop' to='bob@example.com/desk'><show>away</show></presence>`)

	// Asking again when already subscribed changes nothing and bothers no one.
	vA, vB = e.version("alice"), e.version("bob")
	a.take()
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	if e.version("alice") != vA || e.version("bob") != vB {
		t.Errorf("a subscribe while subscribed changed a roster: versions %d→%d, %d→%d", vA, e.version("alice"), vB, e.version("bob"))
	}
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubBoth})
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubBoth})
	expect(t, "bob", b)
}

func TestSubscriptionCancellations(t *testing.T) {
	// RFC 6121 Appendix A; the actor sends typ to the peer.
	type state struct{ alice, bob store.RosterItem }
	s := func(sub store.Subscription) store.RosterItem { return store.RosterItem{Subscription: sub} }
	const (
		aliceUnavail = `<presence from='alice@example.com/laptop' to='bob@example.com/desk' type='unavailable'/>`
		bobUnavail   = `<presence from='bob@example.com/desk' to='alice@example.com/laptop' type='unavailable'/>`
	)
	for _, tc := range []struct {
		name       string
		aliceSub   store.Subscription // alice's item for bob; bob's is the mirror
		actorAlice bool
		typ        string
		want       state
		wantAlice  []string // after the pushes
		wantBob    []string
	}{
		{"alice unsubscribes: to→none", store.SubTo, true, "unsubscribe",
			state{s(store.SubNone), s(store.SubNone)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`), bobUnavail},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='none'/>`),
				`<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribe'/>`}},
		{"alice unsubscribes: both→from", store.SubBoth, true, "unsubscribe",
			state{s(store.SubFrom), s(store.SubTo)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='from'/>`), bobUnavail},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='to'/>`),
				`<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribe'/>`}},
		{"bob cancels alice's subscription: from→none", store.SubTo, false, "unsubscribed",
			state{s(store.SubNone), s(store.SubNone)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`),
				`<presence from='bob@example.com' to='alice@example.com/laptop' type='unsubscribed'/>`, bobUnavail},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='none'/>`)}},
		{"bob cancels alice's subscription: both→to", store.SubBoth, false, "unsubscribed",
			state{s(store.SubFrom), s(store.SubTo)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='from'/>`),
				`<presence from='bob@example.com' to='alice@example.com/laptop' type='unsubscribed'/>`, bobUnavail},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='to'/>`)}},
		{"alice cancels bob's subscription: from→none", store.SubFrom, true, "unsubscribed",
			state{s(store.SubNone), s(store.SubNone)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`)},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='none'/>`),
				`<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribed'/>`, aliceUnavail}},
		{"bob unsubscribes: both→from (his side)", store.SubBoth, false, "unsubscribe",
			state{s(store.SubTo), s(store.SubFrom)},
			[]string{push(aliceL, 2, `<item jid='bob@example.com' subscription='to'/>`),
				`<presence from='bob@example.com' to='alice@example.com/laptop' type='unsubscribe'/>`},
			[]string{push(bobD, 2, `<item jid='alice@example.com' subscription='from'/>`), aliceUnavail}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			e.relate("alice", "bob", tc.aliceSub)
			a, b := e.online(aliceL), e.online(bobD)
			e.rosterGet(a)
			e.rosterGet(b)
			a.take()
			b.take()
			actor, peer := a, bobBare
			if !tc.actorAlice {
				actor, peer = b, aliceBare
			}
			e.send(actor, fmt.Sprintf(`<presence from='%s' to='%s' type='%s'/>`, actor.jid, peer, tc.typ))
			expect(t, "alice", a, tc.wantAlice...)
			expect(t, "bob", b, tc.wantBob...)
			e.wantItem("alice", bobBare, &tc.want.alice)
			e.wantItem("bob", aliceBare, &tc.want.bob)
			// Presence now follows the new state.
			e.send(b, `<presence from='bob@example.com/desk'><show>away</show></presence>`)
			bobSeen := len(a.take()) == 1
			if want := tc.want.alice.Subscription == store.SubTo || tc.want.alice.Subscription == store.SubBoth; bobSeen != want {
				t.Errorf("alice sees bob's presence: %v, want %v", bobSeen, want)
			}
		})
	}
}

func TestSubscribeCancelledAndDenied(t *testing.T) {
	// alice cancels her own pending request: bob's hidden request is gone.
	e, a, b := subWorld(t)
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	a.take()
	b.take()
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='unsubscribe'/>`)
	// alice never saw bob's presence: no unavailable from him.
	expect(t, "alice", a, push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`))
	expect(t, "bob", b, `<presence from='alice@example.com' to='bob@example.com/desk' type='unsubscribe'/>`)
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone})
	e.wantItem("bob", aliceBare, nil)

	// bob denies a request.
	e, a, b = subWorld(t)
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	a.take()
	b.take()
	e.send(b, `<presence from='bob@example.com/desk' to='alice@example.com' type='unsubscribed'/>`)
	expect(t, "alice", a,
		push(aliceL, 2, `<item jid='bob@example.com' subscription='none'/>`),
		`<presence from='bob@example.com' to='alice@example.com/laptop' type='unsubscribed'/>`)
	expect(t, "bob: his roster never had alice", b)
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone})
	e.wantItem("bob", aliceBare, nil)
}

func TestSubscriptionStanzasWithoutRelationCreateNothing(t *testing.T) {
	// Appendix A: subscribed without a request (no pre-approval here),
	// unsubscribe and unsubscribed with no subscription: no roster item is
	// created on either side, no push.
	for _, typ := range []string{"subscribed", "unsubscribe", "unsubscribed"} {
		t.Run(typ, func(t *testing.T) {
			e, a, b := subWorld(t)
			e.send(a, fmt.Sprintf(`<presence from='alice@example.com/laptop' to='bob@example.com' type='%s'/>`, typ))
			e.wantItem("alice", bobBare, nil)
			e.wantItem("bob", aliceBare, nil)
			// alice saw nothing of bob: no unavailable from him.
			expect(t, "alice", a)
			// bob is told of a cancellation (harmless), never of an
			// approval he did not ask for.
			if typ == "subscribed" {
				expect(t, "bob", b)
			} else {
				expect(t, "bob", b, `<presence from='alice@example.com' to='bob@example.com/desk' type='`+typ+`'/>`)
			}
			if v := e.version("alice"); v != 0 {
				t.Errorf("alice's roster version %d, want 0", v)
			}
		})
	}
}

func TestSubscribeRedeliveredAtLogin(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a := e.online(aliceL)
	// bob is offline: the request waits.
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	request := `<presence from='alice@example.com' to='bob@example.com' type='subscribe'/>`
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubNone, PendingIn: true, PendingInStanza: []byte(request), Hidden: true})

	// Bound without presence: nothing yet.
	b := e.bind(bobD)
	expect(t, "bob, bound", b)
	e.send(b, `<presence from='bob@example.com/desk'/>`)
	// The stored request, as stored: to the bare JID.
	expect(t, "bob, initial presence", b, `<presence from='bob@example.com/desk' to='bob@example.com/desk'/>`, request)

	// Unanswered, it comes again at the next login (another resource).
	p := e.bind("bob@example.com/phone")
	e.send(p, `<presence from='bob@example.com/phone'/>`)
	expect(t, "bob's phone", p,
		`<presence from='bob@example.com/phone' to='bob@example.com/phone'/>`,
		`<presence from='bob@example.com/desk' to='bob@example.com/phone'/>`,
		request)
	b.take()

	// Answered, it does not.
	e.send(p, `<presence from='bob@example.com/phone' to='alice@example.com' type='subscribed'/>`)
	e.r.Unbind(b)
	e.r.Unbind(p)
	b = e.bind(bobD)
	e.send(b, `<presence from='bob@example.com/desk'/>`)
	expect(t, "bob after approving", b, `<presence from='bob@example.com/desk' to='bob@example.com/desk'/>`)
	e.wantItem("bob", aliceBare, &store.RosterItem{Subscription: store.SubFrom})
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubTo})
}

func TestSubscribeToNonexistentUser(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a := e.online(aliceL)
	e.rosterGet(a)
	// alice has the contact in her roster.
	e.send(a, `<iq from='alice@example.com/laptop' id='s' type='set'><query xmlns='jabber:iq:roster'><item jid='nobody@example.com'/></query></iq>`)
	a.take()
	e.send(a, `<presence from='alice@example.com/laptop' to='nobody@example.com' type='subscribe'/>`)
	e.wantItem("alice", "nobody@example.com", &store.RosterItem{Subscription: store.SubNone})
	// No error and no ask; the item is pushed again, unchanged, at the same
	// version (the router pushes after every update, changed or not).
	expect(t, "alice", a, push(aliceL, 1, `<item jid='nobody@example.com' subscription='none'/>`))
	if v := e.version("alice"); v != 1 {
		t.Errorf("alice's roster version %d, want 1", v)
	}

	// An account deleted while alice's request was pending: asking again
	// is answered as a denial, and the ask clears.
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	a.take()
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone, Ask: true})
	if err := e.db.DeleteAccount("bob"); err != nil {
		t.Fatal(err)
	}
	v := e.version("alice")
	e.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com' type='subscribe'/>`)
	expect(t, "alice", a, push(aliceL, int(v)+1, `<item jid='bob@example.com' subscription='none'/>`))
	e.wantItem("alice", bobBare, &store.RosterItem{Subscription: store.SubNone})

	// Subscribing to oneself, or to another domain: no request, no error.
	e.send(a, `<presence from='alice@example.com/laptop' to='alice@example.com' type='subscribe'/>`)
	e.send(a, `<presence from='alice@example.com/laptop' to='carol@other.org' type='subscribe'/>`)
	expect(t, "alice", a)
	e.wantItem("alice", aliceBare, nil)
	e.wantItem("alice", "carol@other.org", nil)
}
