package interop

// XEP-0191 with slixmpp's xep_0191 plugin (testdata/slixmpp_client.py,
// scenario blocking).

import (
	"slices"
	"testing"
)

// TestSlixmppBlocking: bob blocks alice (the blocklist and its push as
// slixmpp reads them); her message is refused with service-unavailable;
// after the unblock her next message arrives, and only that one.
func TestSlixmppBlocking(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	args := append(slixmppArgs(j), "blocking",
		"--sender", "alice@localhost", "--sender-password", password("alice"), "--sender-mech", "PLAIN",
		"--receiver", "bob@localhost", "--receiver-password", password("bob"), "--receiver-mech", "PLAIN")
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp blocking scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	lists := map[string][]string{}
	for _, e := range find(events, "blocklist", "receiver") {
		var jids []string
		for _, it := range e.Items {
			jids = append(jids, it.JID)
		}
		lists[e.Text] = jids
	}
	if len(lists["before"]) != 0 || !slices.Equal(lists["blocked"], []string{"alice@localhost"}) || len(lists["unblocked"]) != 0 {
		t.Errorf("blocklists before, blocked, unblocked = %q, %q, %q", lists["before"], lists["blocked"], lists["unblocked"])
	}
	if e := oneEvent(t, r, events, "refused", "sender"); e.Condition != "service-unavailable" {
		t.Errorf("alice's blocked message was refused with %q, want service-unavailable", e.Condition)
	}
	var bodies []string
	for _, m := range find(events, "message", "receiver") {
		bodies = append(bodies, m.Body)
	}
	if !slices.Equal(bodies, []string{"after"}) {
		t.Errorf("bob received %q, want only \"after\"", bodies)
	}
	if n, _ := j.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob", n)
	}
}
