package interop

// XEP-0280 with slixmpp's xep_0280 plugin (testdata/slixmpp_client.py,
// scenario carbons).

import "testing"

// TestSlixmppCarbons: bob's second resource enables carbons and gets a
// received copy of alice's message to the first, and a sent copy of the
// first's answer; the first, without carbons, gets none.
func TestSlixmppCarbons(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	args := append(slixmppArgs(j), "carbons",
		"--sender", "alice@localhost", "--sender-password", password("alice"), "--sender-mech", "PLAIN",
		"--receiver", "bob@localhost", "--receiver-password", password("bob"), "--receiver-mech", "PLAIN")
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp carbons scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	alice := assertSession(t, r, events, "sender", "alice@localhost")
	rec := oneEvent(t, r, events, "carbon_received", "two")
	if rec.Body != "hello one" || rec.From != alice || rec.To != "bob@localhost/one" {
		t.Errorf("received carbon: %q from %q to %q, want \"hello one\" from %s to bob@localhost/one", rec.Body, rec.From, rec.To, alice)
	}
	sent := oneEvent(t, r, events, "carbon_sent", "two")
	if sent.Body != "reply" || sent.From != "bob@localhost/one" || sent.To != alice {
		t.Errorf("sent carbon: %q from %q to %q, want \"reply\" from bob@localhost/one to %s", sent.Body, sent.From, sent.To, alice)
	}
	if m := find(events, "message", "two"); len(m) != 0 {
		t.Errorf("two got the messages themselves, not only carbons: %v", m)
	}
	if m := find(events, "message", "one"); len(m) != 1 {
		t.Errorf("one got %d messages, want 1 (no carbons)", len(m))
	}
	assertNothingFailed(t, j)
}
