package interop

// slixmpp as an IM client of jabberd's chat layer (package session):
// rosters (RFC 6121 §2), presence subscriptions (§3), initial presence and
// its echo (§4.2), and offline messages with XEP-0203 delay stamps
// (§8.5.2, XEP-0160). The scenarios are in testdata/slixmpp_client.py
// (roster, subscribe, offline); every login there uses PLAIN, so that no
// refused SASL attempt clutters the server log, which must show that
// nothing failed.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// assertOnline checks that who sent initial presence and that the server
// echoed it: an available presence from who's own full JID, seen before the
// script reported "online" (RFC 6121 §4.2.2).
func assertOnline(t *testing.T, r *run, events []slixEvent, who, full string) {
	t.Helper()
	online := -1
	echo := -1
	for i, e := range events {
		switch {
		case e.Event == "online" && e.Who == who:
			if online >= 0 {
				t.Errorf("slixmpp: %s went online twice:\n%s", who, r)
			}
			online = i
			if e.JID != full {
				t.Errorf("slixmpp: %s online as %q, want %q", who, e.JID, full)
			}
		case e.Event == "presence" && e.Who == who && e.From == full && e.Type == "available" && echo < 0:
			echo = i
		}
	}
	switch {
	case online < 0:
		t.Fatalf("slixmpp: %s never went online (no echo of its initial presence):\n%s", who, r)
	case echo < 0 || echo > online:
		t.Fatalf("slixmpp: %s reported online without the echo of its presence from %s:\n%s", who, full, r)
	}
}

// assertAuthenticatedTimes asserts that the server logged n successful
// logins of jid, all with mech.
func assertAuthenticatedTimes(t *testing.T, j *jabberd, jid, mech string, n int) []logEntry {
	t.Helper()
	got := j.waitLog(t, n, fields{"message": "authenticated", "jid": jid})
	if len(got) != n {
		t.Errorf("server log: %d \"authenticated\" entries for %s, want %d: %v", len(got), jid, n, got)
	}
	for _, e := range got {
		if m := e.Str("mechanism"); m != mech {
			t.Errorf("server log: %s authenticated with %s, want %s: %s", jid, m, mech, e)
		}
	}
	return got
}

// boundSessions waits for the "session bound" entries of the bare JID's
// sessions and returns them by full JID; want is the number of logins.
func boundSessions(t *testing.T, j *jabberd, bare string, want int) map[string]logEntry {
	t.Helper()
	out := map[string]logEntry{}
	j.log.WaitFor(logTimeout, func(string) bool {
		clear(out)
		for _, e := range j.entries(fields{"message": "session bound"}) {
			if strings.HasPrefix(e.Str("jid"), bare+"/") {
				out[e.Str("jid")] = e
			}
		}
		return len(out) >= want
	})
	if len(out) != want {
		t.Errorf("server log: %d sessions bound for %s, want %d: %v", len(out), bare, want, out)
	}
	return out
}

// assertNothingFailed checks the whole server log: no failed login, no bad
// input, no failed or dropped connection or write, every stream closed by
// its client, nothing at warn level or above, and no stanza error sent to
// any client.
func assertNothingFailed(t *testing.T, j *jabberd) {
	t.Helper()
	for _, e := range j.log.Entries(t) {
		switch e.Str("message") {
		case "authentication failed", "bad input from client", "connection failed", "client disconnected",
			"write failed; closing", "TLS upgrade failed", "connection handler panicked; connection closed":
			t.Errorf("server log: %s", e)
		case "sent":
			if out := e.Str("out"); stanzaError(out) {
				t.Errorf("server log: a stanza error went to %s: %s", e.Str("jid"), out)
			}
		case "closing":
			// Every client here ends its stream with </stream:stream>.
			if reason := e.Str("reason"); reason != "client closed the stream" {
				t.Errorf("server log: a stream ended otherwise than by its client: %s", e)
			}
		}
		if lv := e.Str("level"); lv == "warn" || lv == "error" || lv == "fatal" || lv == "panic" {
			t.Errorf("server log: logged at %s level: %s", lv, e)
		}
	}
}

// stanzaError reports whether a serialized top-level stanza has type error.
func stanzaError(out string) bool {
	head, _, _ := strings.Cut(out, ">")
	return strings.Contains(head, "type='error'") || strings.Contains(head, `type="error"`)
}

// noErrors fails on any stanza error the script saw.
func noErrors(t *testing.T, r *run, events []slixEvent) {
	t.Helper()
	for _, e := range find(events, "message_error", "") {
		t.Errorf("slixmpp: %s got a message error from %s: <%s/> %q", e.Who, e.From, e.Condition, e.Text)
	}
	for _, e := range find(events, "presence", "") {
		if e.Type == "error" {
			t.Errorf("slixmpp: %s got a presence error from %s:\n%s", e.Who, e.From, r)
		}
	}
}

// oneEvent returns the single event with this name for who.
func oneEvent(t *testing.T, r *run, events []slixEvent, event, who string) slixEvent {
	t.Helper()
	got := find(events, event, who)
	if len(got) != 1 {
		t.Fatalf("slixmpp: %s has %d %q events, want 1:\n%s", who, len(got), event, r)
	}
	return got[0]
}

// assertRoster checks a full roster result (not a "nothing changed" one).
func assertRoster(t *testing.T, r *run, e slixEvent, want ...rosterItem) {
	t.Helper()
	if e.Type != "result" || !e.Query {
		t.Fatalf("slixmpp: %s's roster fetch: type %q, query %v; want a result with the roster:\n%s", e.Who, e.Type, e.Query, r)
	}
	if !equalItems(e.Items, want) {
		t.Errorf("slixmpp: %s's roster is %s, want %s", e.Who, itemsString(e.Items), itemsString(want))
	}
}

func equalItems(a, b []rosterItem) bool {
	return slices.EqualFunc(a, b, func(x, y rosterItem) bool {
		return x.JID == y.JID && x.Name == y.Name && x.Subscription == y.Subscription &&
			x.Ask == y.Ask && slices.Equal(x.Groups, y.Groups)
	})
}

func itemsString(items []rosterItem) string {
	if len(items) == 0 {
		return "[] (empty)"
	}
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprintf("{jid=%s name=%q subscription=%s ask=%q groups=%q}", it.JID, it.Name, it.Subscription, it.Ask, it.Groups)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestSlixmppRoster: alice fetches her roster (empty), adds bob with a name
// and two groups (roster set), gets the roster push; a fresh login's fetch
// shows the item with its name and groups and subscription none.
func TestSlixmppRoster(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	const name = "Bob <the builder> & co"
	groups := []string{"Friends", "Lab ünïcödé"} // sorted, as the script prints them
	args := append(slixmppArgs(j), "roster", "--jid", "alice@localhost", "--password", password("alice"), "--mech", "PLAIN",
		"--contact", "bob@localhost", "--name", name, "--group", groups[1], "--group", groups[0])
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp roster scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	first := assertSession(t, r, events, "first", "alice@localhost")
	second := assertSession(t, r, events, "second", "alice@localhost")
	if first == second {
		t.Errorf("slixmpp: both logins bound %s; want two sessions", first)
	}
	assertMechanism(t, r, events, "first", "PLAIN")
	assertMechanism(t, r, events, "second", "PLAIN")

	item := rosterItem{JID: "bob@localhost", Name: name, Subscription: "none", Groups: groups}
	assertRoster(t, r, oneEvent(t, r, events, "roster", "first"))
	if set := oneEvent(t, r, events, "roster_set", "first"); set.Type != "result" {
		t.Errorf("slixmpp: the roster set was answered with type %q, want result:\n%s", set.Type, r)
	}
	push := oneEvent(t, r, events, "roster_push", "first")
	if !push.Query || !equalItems(push.Items, []rosterItem{item}) {
		t.Errorf("slixmpp: roster push %s, want %s", itemsString(push.Items), itemsString([]rosterItem{item}))
	}
	if push.From != "" && push.From != "alice@localhost" {
		t.Errorf("slixmpp: roster push from %q, want none or alice@localhost (RFC 6121 §2.1.6)", push.From)
	}
	fetched := oneEvent(t, r, events, "roster", "second")
	assertRoster(t, r, fetched, item)
	if fetched.Ver == "" || fetched.Ver != push.Ver {
		t.Errorf("slixmpp: the fresh fetch has ver %q, the push had %q; want the same, not empty (XEP-0237)", fetched.Ver, push.Ver)
	}
	noErrors(t, r, events)

	assertAuthenticatedTimes(t, j, "alice@localhost", "PLAIN", 2)
	sessions := boundSessions(t, j, "alice@localhost", 2)
	for _, full := range []string{first, second} {
		if _, ok := sessions[full]; !ok {
			t.Errorf("server log: no \"session bound\" for %s: %v", full, sessions)
		}
	}
	// The set as the server received it: the item with its groups.
	assertReceived(t, j, first, "<iq", "type='set'", "jabber:iq:roster", "jid='bob@localhost'",
		"<group>"+groups[0]+"</group>", "<group>"+groups[1]+"</group>")
	assertNothingFailed(t, j)
}

// TestSlixmppPresenceSubscription: bob is logged in and available; alice
// logs in, becomes available and asks to subscribe to bob's presence; bob
// receives the request and approves it; alice gets the roster pushes (ask,
// then to), the 'subscribed' and bob's presence; bob gets the push with
// subscription from. Fresh logins then fetch what the server stored:
// alice has bob with 'to', bob has alice with 'from'.
func TestSlixmppPresenceSubscription(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	args := append(slixmppArgs(j), "subscribe",
		"--user", "alice@localhost", "--user-password", password("alice"), "--user-mech", "PLAIN",
		"--contact", "bob@localhost", "--contact-password", password("bob"), "--contact-mech", "PLAIN")
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp subscribe scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	alice := assertSession(t, r, events, "user", "alice@localhost")
	bob := assertSession(t, r, events, "contact", "bob@localhost")
	aliceAgain := assertSession(t, r, events, "user_again", "alice@localhost")
	bobAgain := assertSession(t, r, events, "contact_again", "bob@localhost")
	for _, who := range []string{"user", "contact", "user_again", "contact_again"} {
		assertMechanism(t, r, events, who, "PLAIN")
	}
	assertOnline(t, r, events, "contact", bob)
	assertOnline(t, r, events, "user", alice)
	assertRoster(t, r, oneEvent(t, r, events, "roster", "user"))
	assertRoster(t, r, oneEvent(t, r, events, "roster", "contact"))

	// Bob: one request, from alice's bare JID (RFC 6121 §3.1.2), and no
	// presence of alice's: he did not subscribe to hers.
	for _, p := range find(events, "presence", "contact") {
		switch {
		case p.From == bob:
		case p.Type == "subscribe" && p.From == "alice@localhost":
		default:
			t.Errorf("slixmpp: bob got a presence he should not have: type %s from %s to %s", p.Type, p.From, p.To)
		}
	}
	var requests int
	for _, p := range find(events, "presence", "contact") {
		if p.Type == "subscribe" {
			requests++
		}
	}
	if requests != 1 {
		t.Errorf("slixmpp: bob got %d subscription requests, want 1:\n%s", requests, r)
	}
	approved := slices.IndexFunc(events, func(e slixEvent) bool {
		return e.Event == "sent_presence" && e.Who == "contact" && e.Type == "subscribed"
	})
	if approved < 0 {
		t.Fatalf("slixmpp: bob never approved:\n%s", r)
	}
	// Bob's roster pushes: none before approving (a pending request is not a
	// roster item), after approving exactly one, alice with 'from' (RFC 6121
	// §3.1.5).
	var before, after []slixEvent
	for i, e := range events {
		if e.Event == "roster_push" && e.Who == "contact" {
			if i < approved {
				before = append(before, e)
			} else {
				after = append(after, e)
			}
		}
	}
	if len(after) != 1 || !equalItems(after[0].Items, []rosterItem{{JID: "alice@localhost", Subscription: "from"}}) {
		t.Errorf("slixmpp: bob's roster pushes after approving: %v; want one: alice@localhost, subscription from", pushItems(after))
	}
	if len(before) != 0 {
		t.Errorf("slixmpp: bob's roster pushes before approving: %v; want none", pushItems(before))
	}

	// Alice: pushes with ask='subscribe', then 'to'; the 'subscribed'; and
	// bob's presence only after bob approved.
	pushes := find(events, "roster_push", "user")
	wantPushes := [][]rosterItem{
		{{JID: "bob@localhost", Subscription: "none", Ask: "subscribe"}},
		{{JID: "bob@localhost", Subscription: "to"}},
	}
	if len(pushes) != len(wantPushes) {
		t.Errorf("slixmpp: alice got %d roster pushes, want %d: %v", len(pushes), len(wantPushes), pushItems(pushes))
	} else {
		for i, p := range pushes {
			if !equalItems(p.Items, wantPushes[i]) {
				t.Errorf("slixmpp: alice's roster push %d: %s, want %s", i+1, itemsString(p.Items), itemsString(wantPushes[i]))
			}
		}
	}
	var subscribed, bobPresence int
	for i, e := range events {
		if e.Event != "presence" || e.Who != "user" || e.From == alice {
			continue
		}
		switch {
		case e.Type == "subscribed" && e.From == "bob@localhost":
			subscribed++
		case e.Type == "available" && e.From == bob:
			bobPresence++
			if i < approved {
				t.Errorf("slixmpp: alice got bob's presence before bob approved the subscription")
			}
			if e.To != alice && e.To != "alice@localhost" {
				t.Errorf("slixmpp: bob's presence came to %q, want alice", e.To)
			}
		case e.Type == "unavailable" && e.From == bob && i > approved:
			// Bob leaving at the end: alice sees it now.
		default:
			t.Errorf("slixmpp: alice got a presence she should not have: type %s from %s to %s", e.Type, e.From, e.To)
		}
	}
	if subscribed != 1 {
		t.Errorf("slixmpp: alice got %d 'subscribed' from bob@localhost, want 1:\n%s", subscribed, r)
	}
	if bobPresence != 1 {
		t.Errorf("slixmpp: alice got bob's presence (from %s) %d times, want 1:\n%s", bob, bobPresence, r)
	}

	// What each client made of it, and what the server stored.
	if v := oneEvent(t, r, events, "roster_view", "user"); v.JID != "bob@localhost" || v.Subscription != "to" || v.Ask != "" {
		t.Errorf("slixmpp: alice's roster shows bob as %+v, want subscription to, no pending request", v)
	}
	if v := oneEvent(t, r, events, "roster_view", "contact"); v.JID != "alice@localhost" || v.Subscription != "from" || v.Ask != "" {
		t.Errorf("slixmpp: bob's roster shows alice as %+v, want subscription from", v)
	}
	assertRoster(t, r, oneEvent(t, r, events, "roster", "user_again"), rosterItem{JID: "bob@localhost", Subscription: "to"})
	assertRoster(t, r, oneEvent(t, r, events, "roster", "contact_again"), rosterItem{JID: "alice@localhost", Subscription: "from"})
	noErrors(t, r, events)

	assertAuthenticatedTimes(t, j, "alice@localhost", "PLAIN", 2)
	assertAuthenticatedTimes(t, j, "bob@localhost", "PLAIN", 2)
	aliceSessions := boundSessions(t, j, "alice@localhost", 2)
	bobSessions := boundSessions(t, j, "bob@localhost", 2)
	for _, full := range []string{alice, aliceAgain} {
		if _, ok := aliceSessions[full]; !ok {
			t.Errorf("server log: no \"session bound\" for %s", full)
		}
	}
	for _, full := range []string{bob, bobAgain} {
		if _, ok := bobSessions[full]; !ok {
			t.Errorf("server log: no \"session bound\" for %s", full)
		}
	}
	// The server got the request from alice's session and the approval
	// from bob's.
	assertReceived(t, j, alice, "<presence", "type='subscribe'", "to='bob@localhost'")
	assertReceived(t, j, bob, "<presence", "type='subscribed'", "to='alice@localhost'")
	assertNothingFailed(t, j)
}

func pushItems(pushes []slixEvent) string {
	parts := make([]string, len(pushes))
	for i, p := range pushes {
		parts[i] = itemsString(p.Items)
	}
	return strings.Join(parts, ", ")
}

// assertReceived checks that the server logged receiving, on full's
// session, an element that contains all parts.
func assertReceived(t *testing.T, j *jabberd, full string, parts ...string) {
	t.Helper()
	for _, e := range j.entries(fields{"message": "received", "jid": full}) {
		in := strings.ReplaceAll(e.Str("in"), `"`, "'")
		if !slices.ContainsFunc(parts, func(p string) bool { return !strings.Contains(in, p) }) {
			return
		}
	}
	t.Errorf("server log: %s sent nothing with %q", full, parts)
}

// TestSlixmppOfflineDelivery: bob is not logged in; alice sends him a chat
// message and leaves. Bob logs in and sends initial presence: the message
// arrives after the echo of it, from alice's full JID, with a delay stamp
// (XEP-0203) from the server of when it was stored. A second login of bob
// gets nothing: delivered messages leave the store.
func TestSlixmppOfflineDelivery(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	const body = "hello bob, you were offline"
	before := time.Now()
	args := append(slixmppArgs(j), "offline",
		"--sender", "alice@localhost", "--sender-password", password("alice"), "--sender-mech", "PLAIN",
		"--receiver", "bob@localhost", "--receiver-password", password("bob"), "--receiver-mech", "PLAIN",
		"--body", body)
	r := runClient(t, runOptions{}, args...)
	after := time.Now()
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp offline scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	alice := assertSession(t, r, events, "sender", "alice@localhost")
	bob := assertSession(t, r, events, "receiver", "bob@localhost")
	bobAgain := assertSession(t, r, events, "receiver_again", "bob@localhost")
	for _, who := range []string{"sender", "receiver", "receiver_again"} {
		assertMechanism(t, r, events, who, "PLAIN")
	}
	assertOnline(t, r, events, "receiver", bob)
	assertOnline(t, r, events, "receiver_again", bobAgain)
	if s := oneEvent(t, r, events, "sent", "sender"); s.To != "bob@localhost" || s.Body != body {
		t.Errorf("slixmpp: alice sent %q to %q, want %q to bob@localhost", s.Body, s.To, body)
	}
	if got := find(events, "message", "sender"); len(got) > 0 {
		t.Errorf("slixmpp: alice got messages back: %v", got)
	}

	m := oneEvent(t, r, events, "message", "receiver")
	if m.Body != body {
		t.Errorf("bob received body %q, want %q", m.Body, body)
	}
	if m.From != alice {
		t.Errorf("bob received the message from %q, want alice's full JID %q", m.From, alice)
	}
	if m.Type != "chat" {
		t.Errorf("message type %q, want chat", m.Type)
	}
	if m.DelayStamp == "" || m.DelayParsed == "" {
		t.Fatalf("bob's message has no delay stamp (XEP-0203): delay_stamp %q, slixmpp parsed %q:\n%s", m.DelayStamp, m.DelayParsed, r)
	}
	stamp, err := time.Parse(time.RFC3339, m.DelayStamp)
	if err != nil {
		t.Errorf("delay stamp %q is not XEP-0082 date-time: %v", m.DelayStamp, err)
	} else {
		if _, off := stamp.Zone(); off != 0 {
			t.Errorf("delay stamp %q is not in UTC (XEP-0203 §3)", m.DelayStamp)
		}
		if stamp.Before(before.Truncate(time.Second)) || stamp.After(after) {
			t.Errorf("delay stamp %s is not between the scenario's start %s and end %s", stamp, before.UTC(), after.UTC())
		}
		if parsed, err := time.Parse(time.RFC3339Nano, m.DelayParsed); err != nil || !parsed.Equal(stamp) {
			t.Errorf("slixmpp parsed the stamp %q as %q (%v)", m.DelayStamp, m.DelayParsed, err)
		}
	}
	if m.DelayFrom != "localhost" {
		t.Errorf("delay from = %q, want the server, localhost", m.DelayFrom)
	}
	// Held until bob was available: it came after the echo of his presence.
	echo := slices.IndexFunc(events, func(e slixEvent) bool {
		return e.Event == "presence" && e.Who == "receiver" && e.From == bob && e.Type == "available"
	})
	msg := slices.IndexFunc(events, func(e slixEvent) bool { return e.Event == "message" && e.Who == "receiver" })
	if echo < 0 || msg < echo {
		t.Errorf("slixmpp: bob got the offline message before the echo of his initial presence:\n%s", r)
	}
	if got := find(events, "message", "receiver_again"); len(got) > 0 {
		t.Errorf("slixmpp: bob's second login got messages again: %v", got)
	}
	if p := oneEvent(t, r, events, "pong", "receiver_again"); p.Type != "result" {
		t.Errorf("slixmpp: ping after the second login answered with %q", p.Type)
	}
	noErrors(t, r, events)

	assertAuthenticatedTimes(t, j, "alice@localhost", "PLAIN", 1)
	assertAuthenticatedTimes(t, j, "bob@localhost", "PLAIN", 2)
	aliceBound := boundSessions(t, j, "alice@localhost", 1)[alice]
	bobSessions := boundSessions(t, j, "bob@localhost", 2)
	if aliceBound == nil || bobSessions[bob] == nil || bobSessions[bobAgain] == nil {
		t.Fatalf("server log: sessions bound: alice %v, bob %v; want %s, %s and %s", aliceBound, bobSessions, alice, bob, bobAgain)
	}
	// The server took the message from alice while no bob was bound, and
	// wrote it once, with the delay, to bob's first session only.
	assertReceived(t, j, alice, "<message", "to='bob@localhost'", body)
	all := j.log.Entries(t)
	received := slices.IndexFunc(all, func(e logEntry) bool {
		return e.Str("message") == "received" && e.Str("jid") == alice && strings.Contains(e.Str("in"), body)
	})
	bound := slices.IndexFunc(all, func(e logEntry) bool {
		return e.Str("message") == "session bound" && strings.HasPrefix(e.Str("jid"), "bob@localhost/")
	})
	if received < 0 || bound < 0 || bound < received {
		t.Errorf("server log: alice's message (entry %d) did not come before bob's first session bound (entry %d)", received, bound)
	}
	var deliveries []logEntry
	for _, e := range all {
		if e.Str("message") == "sent" && strings.Contains(e.Str("out"), body) {
			deliveries = append(deliveries, e)
		}
	}
	if len(deliveries) != 1 {
		t.Errorf("server log: the message was written %d times, want once: %v", len(deliveries), deliveries)
	} else {
		out := strings.ReplaceAll(deliveries[0].Str("out"), `"`, "'")
		if deliveries[0].Str("jid") != bob || !strings.Contains(out, "urn:xmpp:delay") || !strings.Contains(out, "stamp='"+m.DelayStamp+"'") {
			t.Errorf("server log: the message went to %s as %s; want to %s with the delay stamp %s", deliveries[0].Str("jid"), out, bob, m.DelayStamp)
		}
	}
	assertNothingFailed(t, j)
}
