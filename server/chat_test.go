package server_test

// End-to-end chat over loopback TLS: presence subscriptions, roster pushes
// to several resources, offline messages, priorities, the unavailable
// broadcast of a dropped connection and resource conflicts. Every session
// logs in the RFC 6120 way (STARTTLS, SASL PLAIN, bind).

import (
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/store"
	"jabberd/stream"
)

// TestSubscriptionHandshakeBothWays: alice subscribes to bob, bob approves;
// bob subscribes to alice, alice approves; both rosters say both, and
// presence flows both ways.
func TestSubscriptionHandshakeBothWays(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	for _, c := range []*chatClient{alice, bob} {
		q, _ := c.rosterGet("")
		if got := string(stream.Marshal(q)); got != "<query xmlns='jabber:iq:roster' ver='0'/>" {
			t.Fatalf("%s: empty roster: %s", c.user, got)
		}
		c.available("")
	}

	// alice → bob: subscribe. Her roster push shows the pending request; bob,
	// online and available, receives it with alice's bare JID.
	alice.send("<presence to='bob@localhost' type='subscribe'/>")
	alice.ackPush(alice.expect("<iq id='push-1-0' type='set' to='alice@localhost/a'><query xmlns='jabber:iq:roster' ver='1'><item jid='bob@localhost' subscription='none' ask='subscribe'/></query></iq>"))
	// RFC 6121 §3.1.3: bob's server keeps the request but creates no
	// roster item for alice before he approves, so bob gets no push.
	el := bob.nextElement()
	if el.Tag == "iq" {
		t.Errorf("bob got a roster push for a subscription request he has not approved (RFC 6121 §3.1.3: no item before approval): %s", stream.Marshal(el))
		bob.ackPush(el)
		el = bob.nextElement()
	}
	if got := string(stream.Marshal(el)); got != "<presence from='alice@localhost' to='bob@localhost/b' type='subscribe'/>" {
		t.Fatalf("bob received %s, want alice's subscription request", got)
	}
	if it, ok, _ := h.set.Store.RosterItem("bob", "alice@localhost"); !ok || !it.PendingIn || !it.Hidden {
		t.Errorf("store: bob's item for alice before approval: subscription=%s pending_in=%v hidden=%v (found %v), want a hidden pending request",
			it.Subscription, it.PendingIn, it.Hidden, ok)
	}

	// bob approves: his roster gets alice (from); alice's gets bob (to), the
	// subscribed notice and bob's current presence.
	bob.send("<presence to='alice@localhost' type='subscribed'/>")
	bob.ackPush(bob.expect("<iq id='push-2-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='2'><item jid='alice@localhost' subscription='from'/></query></iq>"))
	alice.ackPush(alice.expect("<iq id='push-2-0' type='set' to='alice@localhost/a'><query xmlns='jabber:iq:roster' ver='2'><item jid='bob@localhost' subscription='to'/></query></iq>"))
	alice.expect("<presence from='bob@localhost' to='alice@localhost/a' type='subscribed'/>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'/>")

	// bob → alice: subscribe.
	bob.send("<presence to='alice@localhost' type='subscribe'/>")
	bob.ackPush(bob.expect("<iq id='push-3-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='3'><item jid='alice@localhost' subscription='from' ask='subscribe'/></query></iq>"))
	// alice's item for bob takes the pending request; it may be pushed
	// (unchanged as she sees it) before the request itself arrives.
	el = alice.nextElement()
	if el.Tag == "iq" {
		if got := string(stream.Marshal(el)); !pattern("<iq id='push-{*}' type='set' to='alice@localhost/a'><query xmlns='jabber:iq:roster' ver='{*}'><item jid='bob@localhost' subscription='to'/></query></iq>").MatchString(got) {
			t.Fatalf("alice: unexpected push for bob's request: %s", got)
		}
		alice.ackPush(el)
		el = alice.nextElement()
	}
	if got := string(stream.Marshal(el)); got != "<presence from='bob@localhost' to='alice@localhost/a' type='subscribe'/>" {
		t.Fatalf("alice received %s, want bob's subscription request", got)
	}

	// alice approves: both sides are now both.
	alice.send("<presence to='bob@localhost' type='subscribed'/>")
	alice.ackPush(alice.expect("<iq id='push-{*}' type='set' to='alice@localhost/a'><query xmlns='jabber:iq:roster' ver='{*}'><item jid='bob@localhost' subscription='both'/></query></iq>"))
	bob.ackPush(bob.expect("<iq id='push-4-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='4'><item jid='alice@localhost' subscription='both'/></query></iq>"))
	bob.expect("<presence from='alice@localhost' to='bob@localhost/b' type='subscribed'/>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'/>")

	for _, c := range []struct {
		cl      *chatClient
		contact string
	}{{alice, "bob@localhost"}, {bob, "alice@localhost"}} {
		q, _ := c.cl.rosterGet("")
		if q == nil {
			t.Fatalf("%s: roster get without ver returned no query", c.cl.user)
		}
		items := q.SelectElements("item")
		if len(items) != 1 || string(stream.Marshal(items[0])) != "<item jid='"+c.contact+"' subscription='both'/>" {
			t.Errorf("%s: roster is %s, want one item %s with subscription both", c.cl.user, stream.Marshal(q), c.contact)
		}
	}
	for _, p := range [][2]string{{"alice", "bob@localhost"}, {"bob", "alice@localhost"}} {
		it, ok, err := h.set.Store.RosterItem(p[0], p[1])
		if err != nil || !ok || it.Subscription != store.SubBoth || it.Ask || it.PendingIn || it.Hidden {
			t.Errorf("store: %s's item %s = %+v %v %v, want subscription both and nothing pending", p[0], p[1], it, ok, err)
		}
	}

	// Presence flows both ways: a new available presence from alice reaches
	// bob (and her own session), then one from bob reaches alice.
	alice.send("<presence><show>away</show></presence>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>away</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>away</show></presence>")
	bob.send("<presence><status>here</status></presence>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'><status>here</status></presence>")
	bob.expect("<presence from='bob@localhost/b' to='bob@localhost/b'><status>here</status></presence>")
	alice.ping()
	bob.ping()
}

// TestRosterPushToTwoResources: a roster set from one resource is pushed to
// both resources that asked for the roster, with the same new version; a
// get with that version gets an empty result.
func TestRosterPushToTwoResources(t *testing.T) {
	h := start(t, nil)
	a1 := h.login(t, "alice", "a1")
	a2 := h.login(t, "alice", "a2")
	for _, c := range []*chatClient{a1, a2} {
		q, _ := c.rosterGet("")
		if got := string(stream.Marshal(q)); got != "<query xmlns='jabber:iq:roster' ver='0'/>" {
			t.Fatalf("%s: empty roster: %s", c.jid, got)
		}
	}

	a1.send("<iq type='set' id='set1'><query xmlns='jabber:iq:roster'><item jid='bob@localhost' name='Bob'><group>Friends</group></item></query></iq>")
	const item = "<item jid='bob@localhost' name='Bob' subscription='none'><group>Friends</group></item>"
	push := func(c *chatClient) string {
		return "<iq id='push-{*}' type='set' to='" + c.jid + "'><query xmlns='jabber:iq:roster' ver='{*}'>" + item + "</query></iq>"
	}
	// a1 gets the push and the result of its set, in either order.
	got := a1.expectSet(push(a1), "<iq id='set1' type='result' to='alice@localhost/a1'/>")
	p1 := got[0]
	if p1.SelectAttrValue("type", "") != "set" {
		p1 = got[1]
	}
	p2 := a2.expect(push(a2))
	a1.ackPush(p1)
	a2.ackPush(p2)
	ver1 := p1.SelectElement("query").SelectAttrValue("ver", "")
	ver2 := p2.SelectElement("query").SelectAttrValue("ver", "")
	if ver1 != ver2 || ver1 == "" || ver1 == "0" {
		t.Fatalf("pushes carry ver %q and %q, want the same new version", ver1, ver2)
	}
	if p1.SelectAttrValue("id", "") == p2.SelectAttrValue("id", "") {
		t.Errorf("both pushes have id %q: ids of pushes to one account should be distinct", p1.SelectAttrValue("id", ""))
	}

	// A get with the current version: an empty result (XEP-0237).
	for _, c := range []*chatClient{a2, a1} {
		id := c.id("ver")
		c.send("<iq type='get' id='" + id + "'><query xmlns='jabber:iq:roster' ver='" + ver1 + "'/></iq>")
		c.expect("<iq id='" + id + "' type='result' to='" + c.jid + "'/>")
	}
	// An old version gets the whole roster.
	q, _ := a2.rosterGet("0")
	if got, want := string(stream.Marshal(q)), "<query xmlns='jabber:iq:roster' ver='"+ver1+"'>"+item+"</query>"; got != want {
		t.Errorf("roster get with ver 0: %s, want %s", got, want)
	}

	items, ver, err := h.set.Store.Roster("alice")
	if err != nil || len(items) != 1 || items[0].Name != "Bob" || !slices.Equal(items[0].Groups, []string{"Friends"}) ||
		items[0].Subscription != store.SubNone || items[0].Ask || items[0].Hidden {
		t.Errorf("store: alice's roster %+v (err %v)", items, err)
	}
	if v := ver1; v != "1" || ver != 1 {
		t.Errorf("store roster version %d, pushed %s: want 1", ver, v)
	}
	a1.ping()
	a2.ping()
}

// TestOfflineMessageDeliveredWithDelay: a chat message to an offline user's
// bare JID is stored and handed over, with a XEP-0203 stamp, after the
// user's initial presence; only once.
func TestOfflineMessageDeliveredWithDelay(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	before := time.Now().UTC().Truncate(time.Second)
	alice.send("<message to='bob@localhost' type='chat' id='off1'><body>hello offline bob</body></message>")
	alice.ping() // the message was handled before the answer
	if n, err := h.set.Store.CountOffline("bob"); n != 1 || err != nil {
		t.Fatalf("store: bob has %d offline messages (%v), want 1", n, err)
	}

	bob := h.login(t, "bob", "b")
	bob.ping() // nothing before initial presence
	bob.available("")
	el := bob.expect("<message to='bob@localhost' type='chat' id='off1' from='alice@localhost/a'><body>hello offline bob</body>" +
		"<delay xmlns='urn:xmpp:delay' from='localhost' stamp='{*}'>Offline Storage</delay></message>")
	stamp := el.SelectElement("delay").SelectAttrValue("stamp", "")
	ts, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		t.Fatalf("delay stamp %q is not RFC 3339: %v", stamp, err)
	}
	if now := time.Now(); ts.After(now) || ts.Before(before) {
		t.Errorf("delay stamp %s is not between the send (%s) and now (%s)", ts, before, now)
	}
	if !strings.HasSuffix(stamp, "Z") {
		t.Errorf("delay stamp %q is not in UTC (XEP-0082)", stamp)
	}
	bob.ping()
	if n, err := h.set.Store.CountOffline("bob"); n != 0 || err != nil {
		t.Errorf("store: bob has %d offline messages after delivery (%v), want 0", n, err)
	}
	bob.closeStream()
	bob.tcp.Close()
	h.waitConnCount(t, 1) // bob's session is gone (see TestClosedStreamLeavesAtOnce)

	// A second login finds nothing more.
	bob2 := h.login(t, "bob", "b2")
	bob2.available("")
	bob2.ping()
}

// TestMessageToBareJIDFollowsPriority: a message to the bare JID goes to the
// resource of highest non-negative priority only.
func TestMessageToBareJIDFollowsPriority(t *testing.T) {
	h := start(t, nil)
	b1 := h.login(t, "bob", "b1")
	b2 := h.login(t, "bob", "b2")
	alice := h.login(t, "alice", "a")

	b1.available("5")
	b2.send("<presence><priority>1</priority></presence>")
	b2.expect("<presence from='bob@localhost/b2' to='bob@localhost/b2'><priority>1</priority></presence>")
	b2.expect("<presence from='bob@localhost/b1' to='bob@localhost/b2'><priority>5</priority></presence>")
	b1.expect("<presence from='bob@localhost/b2' to='bob@localhost/b1'><priority>1</priority></presence>")

	alice.send("<message to='bob@localhost' type='chat' id='m1'><body>one</body></message>")
	b1.expect("<message to='bob@localhost' type='chat' id='m1' from='alice@localhost/a'><body>one</body></message>")
	alice.ping() // routing of m1 is over …
	b2.ping()    // … and b2 got nothing before this answer

	// b1 drops below zero: b2 is the only candidate left.
	b1.send("<presence><priority>-1</priority></presence>")
	b1.expect("<presence from='bob@localhost/b1' to='bob@localhost/b1'><priority>-1</priority></presence>")
	b2.expect("<presence from='bob@localhost/b1' to='bob@localhost/b2'><priority>-1</priority></presence>")
	alice.send("<message to='bob@localhost' type='chat' id='m2'><body>two</body></message>")
	b2.expect("<message to='bob@localhost' type='chat' id='m2' from='alice@localhost/a'><body>two</body></message>")
	alice.ping()
	b1.ping()
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob, want 0 (both were delivered)", n)
	}
}

// TestDroppedConnectionBroadcastsUnavailable: bob's TCP connection is
// closed without </stream:stream>; alice, his mutual contact, is told.
func TestDroppedConnectionBroadcastsUnavailable(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.AutoRoster = true })
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	alice.available("")
	bob.send("<presence/>")
	bob.expectSet("<presence from='bob@localhost/b' to='bob@localhost/b'/>", "<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'/>")

	bob.tcp.Close() // no </stream:stream>, no close_notify
	alice.expect("<presence from='bob@localhost/b' type='unavailable' to='alice@localhost/a'/>")
	h.logs.wait(t, h.chatMatch(bob, "client disconnected"))
	if s := h.set.Server.Router().Lookup("bob@localhost/b"); s != nil {
		t.Errorf("bob@localhost/b is still bound after the unavailable broadcast")
	}
	alice.ping()
	// alice's next message to bob goes to offline storage.
	alice.send("<message to='bob@localhost' type='chat' id='after'><body>gone?</body></message>")
	alice.ping()
	if n, _ := h.set.Store.CountOffline("bob"); n != 1 {
		t.Errorf("store: %d offline messages for bob after he dropped, want 1", n)
	}
}

// TestResourceConflict: a second login with the same full JID replaces the
// first, which gets a conflict stream error and is closed.
func TestResourceConflict(t *testing.T) {
	h := start(t, nil)
	first := h.login(t, "alice", "desk")
	first.ping()
	second := h.login(t, "alice", "desk")

	first.expect("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><conflict xmlns='" + nsStreams + "'/>" +
		"<text xmlns='" + nsStreams + "' xml:lang='en'>replaced by a new session for the same resource</text></stream:error>")
	ev, err := first.nextEvent()
	if err != nil || ev.Kind != stream.KindClose {
		t.Fatalf("after the conflict: %v %v, want </stream:stream>", ev.Kind, err)
	}
	first.expectEOF()
	e := h.logs.wait(t, h.chatMatch(first, "closing"))
	if got := e.Str("reason"); got != "conflict: replaced by a new session for the same resource" {
		t.Errorf("closing reason %q", got)
	}

	second.ping()
	if s := h.set.Server.Router().Lookup("alice@localhost/desk"); s == nil {
		t.Fatal("alice@localhost/desk is not bound after the replacement")
	}
	// The new session is the one messages reach.
	bob := h.login(t, "bob", "b")
	bob.send("<message to='alice@localhost/desk' type='chat' id='c1'><body>which one?</body></message>")
	second.expect("<message to='alice@localhost/desk' type='chat' id='c1' from='bob@localhost/b'><body>which one?</body></message>")
	h.waitConnCount(t, 2)
}

// TestClosedStreamLeavesAtOnce: once a session has closed its stream (the
// client's </stream:stream>, answered by the server's), it is no longer an
// available resource: another resource of the account that comes online
// right after is not told it is there, and its contacts learn it left
// before they learn of the new resource. The client here keeps its socket
// open after the close, as it may (the server drains it for a moment).
func TestClosedStreamLeavesAtOnce(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.AutoRoster = true })
	alice := h.login(t, "alice", "a")
	alice.available("")
	b1 := h.login(t, "bob", "b1")
	b1.send("<presence/>")
	b1.expectSet("<presence from='bob@localhost/b1' to='bob@localhost/b1'/>", "<presence from='alice@localhost/a' to='bob@localhost/b1'/>")
	alice.expect("<presence from='bob@localhost/b1' to='alice@localhost/a'/>")

	b1.send(closeTag)
	if ev, err := b1.nextEvent(); err != nil || ev.Kind != stream.KindClose {
		t.Fatalf("b1: want the server's </stream:stream>, got %v %v", ev.Kind, err)
	}
	// The stream is over; b1 leaves its socket open.

	b2 := h.login(t, "bob", "b2")
	b2.send("<presence/>")
	b2.expectSet("<presence from='bob@localhost/b2' to='bob@localhost/b2'/>", "<presence from='alice@localhost/a' to='bob@localhost/b2'/>")
	b2.ping() // nothing about b1, whose stream is closed
	alice.expect("<presence from='bob@localhost/b1' type='unavailable' to='alice@localhost/a'/>")
	alice.expect("<presence from='bob@localhost/b2' to='alice@localhost/a'/>")
}

// untilPing pings the server and returns the stanzas that arrived before
// the answer, serialized.
func (c *chatClient) untilPing() []string {
	c.t.Helper()
	id := c.id("ping")
	c.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	answer := "<iq id='" + id + "' type='result' from='localhost' to='" + c.jid + "'/>"
	var got []string
	for {
		s := string(stream.Marshal(c.nextElement()))
		if s == answer {
			return got
		}
		got = append(got, s)
	}
}

// TestMessageNotStrandedByClosedResource: bob's preferred resource (b1,
// priority 5) closes its stream; a message to bob's bare JID sent after
// that goes to his other available resource (b2, priority 1), not to
// offline storage where b2 would only see it at its next login.
func TestMessageNotStrandedByClosedResource(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	b1 := h.login(t, "bob", "b1")
	b1.available("5")
	b1.send(closeTag)
	if ev, err := b1.nextEvent(); err != nil || ev.Kind != stream.KindClose {
		t.Fatalf("b1: want the server's </stream:stream>, got %v %v", ev.Kind, err)
	}
	// The stream is over; b1 leaves its socket open.

	b2 := h.login(t, "bob", "b2")
	b2.send("<presence><priority>1</priority></presence>")
	b2.expect("<presence from='bob@localhost/b2' to='bob@localhost/b2'><priority>1</priority></presence>")
	b2.untilPing()

	alice.send("<message to='bob@localhost' type='chat' id='m1'><body>to whoever is there</body></message>")
	alice.ping()
	got := b2.untilPing()
	for i := range got {
		got[i] = sidRe.ReplaceAllString(got[i], "")
	}
	want := "<message to='bob@localhost' type='chat' id='m1' from='alice@localhost/a'><body>to whoever is there</body></message>"
	if !slices.Contains(got, want) {
		n, _ := h.set.Store.CountOffline("bob")
		t.Errorf("b2, bob's only open session, did not get the message (it got %q; %d message(s) in bob's offline store)", got, n)
	}
}
