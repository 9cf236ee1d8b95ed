package chat_test

import (
	"testing"

	"jabberd/chat"
	"jabberd/store"
)

// presenceWorld: alice and bob are subscribed both ways, carol sees alice
// (alice's item: from), alice sees dave (alice's item: to). bob, carol and
// dave are online; alice's phone too.
type presenceWorld struct {
	*env
	b, c, d, phone *fake
}

func newPresenceWorld(t *testing.T) *presenceWorld {
	e := newEnv(t, chat.Options{})
	e.relate("alice", "bob", store.SubBoth)
	e.relate("alice", "carol", store.SubFrom)
	e.relate("alice", "dave", store.SubTo)
	w := &presenceWorld{env: e, b: e.online(bobD), c: e.online(carolC), d: e.online(daveT)}
	w.phone = e.online(aliceP)
	for _, f := range []*fake{w.b, w.c, w.d, w.phone} {
		f.take()
	}
	return w
}

func TestInitialPresence(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.bind(aliceL)
	in := `<presence from='alice@example.com/laptop'><priority>1</priority></presence>`
	w.send(a, in)
	// RFC 6121 §4.2.2: to the subscribers (from, both), and to the user's
	// available resources, the sender included; §4.2.3: the contacts'
	// presence comes back (to, both), then the other resources'.
	// Each copy is addressed to the session it goes to.
	expect(t, "laptop (sender)", a,
		`<presence from='alice@example.com/laptop' to='alice@example.com/laptop'><priority>1</priority></presence>`,
		`<presence from='bob@example.com/desk' to='alice@example.com/laptop'/>`,
		`<presence from='dave@example.com/tab' to='alice@example.com/laptop'/>`,
		`<presence from='alice@example.com/phone' to='alice@example.com/laptop'/>`)
	expect(t, "bob (both)", w.b, `<presence from='alice@example.com/laptop' to='bob@example.com/desk'><priority>1</priority></presence>`)
	expect(t, "carol (from)", w.c, at(in, carolC))
	expect(t, "dave (to: does not see alice)", w.d)
	expect(t, "phone (own resource)", w.phone, at(in, aliceP))
}

func TestPresenceUpdateBroadcast(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	for _, f := range []*fake{w.b, w.c, w.d, w.phone} {
		f.take()
	}
	in := `<presence from='alice@example.com/laptop'><show>away</show><status>lunch</status></presence>`
	w.send(a, in)
	// Not initial: no probes this time.
	expect(t, "laptop (sender)", a, at(in, aliceL))
	expect(t, "bob", w.b, `<presence from='alice@example.com/laptop' to='bob@example.com/desk'><show>away</show><status>lunch</status></presence>`)
	expect(t, "carol", w.c, at(in, carolC))
	expect(t, "dave", w.d)
	expect(t, "phone", w.phone, at(in, aliceP))

	// The latest presence is what a newcomer learns.
	tab := w.bind("alice@example.com/tablet")
	w.send(tab, `<presence from='alice@example.com/tablet'/>`)
	got := tab.take()
	want := `<presence from='alice@example.com/laptop' to='alice@example.com/tablet'><show>away</show><status>lunch</status></presence>`
	found := false
	for _, s := range got {
		found = found || s == want
	}
	if !found {
		t.Errorf("the tablet did not learn the laptop's latest presence: %q", got)
	}
}

func TestUnavailablePresence(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	for _, f := range []*fake{w.b, w.c, w.d, w.phone} {
		f.take()
	}
	in := `<presence from='alice@example.com/laptop' type='unavailable'><status>bye</status></presence>`
	w.send(a, in)
	expect(t, "laptop (sender)", a)
	expect(t, "bob", w.b, `<presence from='alice@example.com/laptop' type='unavailable' to='bob@example.com/desk'><status>bye</status></presence>`)
	expect(t, "carol", w.c, at(in, carolC))
	expect(t, "dave", w.d)
	expect(t, "phone", w.phone, at(in, aliceP))

	// No longer a target for the bare JID; still for its full JID.
	msg := `<message from='bob@example.com/desk' to='alice@example.com' id='m'><body>x</body></message>`
	w.send(w.b, msg)
	expect(t, "phone", w.phone, msg)
	expect(t, "laptop", a)
	// Unbinding it now says nothing more.
	w.r.Unbind(a)
	expect(t, "bob after unbind", w.b)
	expect(t, "phone after unbind", w.phone)
}

func TestPresenceAvailableAgainIsInitial(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	w.send(a, `<presence from='alice@example.com/laptop' type='unavailable'/>`)
	for _, f := range []*fake{a, w.b, w.c, w.d, w.phone} {
		f.take()
	}
	in := `<presence from='alice@example.com/laptop'/>`
	w.send(a, in)
	expect(t, "laptop (sender)", a,
		at(in, aliceL),
		`<presence from='bob@example.com/desk' to='alice@example.com/laptop'/>`,
		`<presence from='dave@example.com/tab' to='alice@example.com/laptop'/>`,
		`<presence from='alice@example.com/phone' to='alice@example.com/laptop'/>`)
}

func TestDirectedPresence(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	for _, f := range []*fake{w.b, w.c, w.d, w.phone} {
		f.take()
	}
	// dave does not see alice: directed presence to his full JID.
	toDave := `<presence from='alice@example.com/laptop' to='dave@example.com/tab'><show>chat</show></presence>`
	w.send(a, toDave)
	expect(t, "dave", w.d, toDave)
	// bob sees alice anyway: a directed presence reaches him too.
	// To a bare JID: to each available resource, addressed to it.
	w.send(a, `<presence from='alice@example.com/laptop' to='bob@example.com'/>`)
	expect(t, "bob", w.b, `<presence from='alice@example.com/laptop' to='bob@example.com/desk'/>`)
	expect(t, "laptop (sender)", a)
	expect(t, "phone", w.phone)
	expect(t, "carol", w.c)

	// Unavailable: once to each, the directed targets included.
	unavail := `<presence from='alice@example.com/laptop' type='unavailable'/>`
	w.send(a, unavail)
	expect(t, "dave (directed to his full JID)", w.d, unavail)
	expect(t, "bob (both and directed: once)", w.b, at(unavail, bobD))
	expect(t, "carol", w.c, at(unavail, carolC))
	expect(t, "phone", w.phone, at(unavail, aliceP))

	// Forgotten once sent: available and unavailable again do not reach
	// dave.
	w.send(a, `<presence from='alice@example.com/laptop'/>`)
	w.send(a, unavail)
	expect(t, "dave after the directed presence ended", w.d)
}

func TestDirectedUnavailableIsForgotten(t *testing.T) {
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	w.d.take()
	w.send(a, `<presence from='alice@example.com/laptop' to='dave@example.com'/>`)
	w.send(a, `<presence from='alice@example.com/laptop' to='dave@example.com' type='unavailable'/>`)
	expect(t, "dave", w.d,
		`<presence from='alice@example.com/laptop' to='dave@example.com/tab'/>`,
		`<presence from='alice@example.com/laptop' to='dave@example.com/tab' type='unavailable'/>`)
	w.r.Unbind(a)
	expect(t, "dave after unbind", w.d)
}

func TestDirectedPresenceReachesUnbind(t *testing.T) {
	// A stranger (no account relation) got directed presence: the session's
	// end reaches them, as its unavailable.
	w := newPresenceWorld(t)
	a := w.online(aliceL)
	w.d.take()
	w.send(a, `<presence from='alice@example.com/laptop' to='dave@example.com/tab'/>`)
	w.d.take()
	w.r.Unbind(a)
	expect(t, "dave", w.d, `<presence from='alice@example.com/laptop' type='unavailable'/>`)
}

func TestPresenceIgnored(t *testing.T) {
	// Probes and errors from clients, unknown types, presence to unknown
	// users or other domains: nobody hears of them, nobody is answered.
	for _, in := range []string{
		`<presence from='alice@example.com/laptop' to='bob@example.com' type='probe'/>`,
		`<presence from='alice@example.com/laptop' to='bob@example.com' type='error'/>`,
		`<presence from='alice@example.com/laptop' type='bogus'/>`,
		`<presence from='alice@example.com/laptop' to='nobody@example.com'/>`,
		`<presence from='alice@example.com/laptop' to='carol@other.org'/>`,
		`<presence from='alice@example.com/laptop' to='example.com'/>`,
	} {
		w := newPresenceWorld(t)
		a := w.online(aliceL)
		for _, f := range []*fake{w.b, w.c, w.d, w.phone} {
			f.take()
		}
		w.send(a, in)
		for _, f := range []*fake{a, w.b, w.c, w.d, w.phone} {
			expect(t, f.jid+" for "+in, f)
		}
	}
}

func TestPresenceOfUnboundSessionIgnored(t *testing.T) {
	// A session that is not (or no longer) bound changes nothing.
	w := newPresenceWorld(t)
	ghost := newFake(aliceL)
	w.send(ghost, `<presence from='alice@example.com/laptop'/>`)
	for _, f := range []*fake{ghost, w.b, w.c, w.d, w.phone} {
		expect(t, f.jid, f)
	}
}
