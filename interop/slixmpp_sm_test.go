package interop

// XEP-0198 with slixmpp's xep_0198 plugin (testdata/slixmpp_client.py,
// scenario sm): a dropped connection resumed.

import (
	"slices"
	"testing"
)

// TestSlixmppStreamManagementResume: bob enables resumable stream
// management; his TCP connection is aborted without a close; alice's
// messages sent meanwhile arrive once, after the resumption, and the
// session goes on live; nothing is left in offline storage.
func TestSlixmppStreamManagementResume(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	args := append(slixmppArgs(j), "sm",
		"--sender", "alice@localhost", "--sender-password", password("alice"), "--sender-mech", "PLAIN",
		"--receiver", "bob@localhost", "--receiver-password", password("bob"), "--receiver-mech", "PLAIN")
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp sm scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	en := oneEvent(t, r, events, "sm_enabled", "receiver")
	if en.Text == "" || en.Type != "true" {
		t.Errorf("slixmpp: <enabled/> id %q resume %q, want an id and resume='true'", en.Text, en.Type)
	}
	res := oneEvent(t, r, events, "sm_resumed", "receiver")
	if res.Text != en.Text {
		t.Errorf("slixmpp: resumed previd %q, want %q", res.Text, en.Text)
	}
	var bodies []string
	for _, m := range find(events, "message", "receiver") {
		bodies = append(bodies, m.Body)
	}
	if want := []string{"one", "two", "three", "four"}; !slices.Equal(bodies, want) {
		t.Errorf("bob received %q, want %q (each once, in order)", bodies, want)
	}
	// One session: bound once, resumed once, never unavailable in between.
	assertSession(t, r, events, "receiver", "bob@localhost")
	if got := j.waitLog(t, 1, fields{"message": "session resumed"}); len(got) != 1 {
		t.Errorf("server log: %d \"session resumed\" entries, want 1", len(got))
	}
	// The one abrupt end is bob's first connection; nothing else failed.
	dropped := 0
	for _, e := range j.log.Entries(t) {
		switch e.Str("message") {
		case "client disconnected":
			dropped++
		case "authentication failed", "bad input from client", "connection failed", "write failed; closing":
			t.Errorf("server log: %s", e)
		case "sent":
			if out := e.Str("out"); stanzaError(out) {
				t.Errorf("server log: a stanza error went to %s: %s", e.Str("jid"), out)
			}
		}
		if lv := e.Str("level"); lv == "warn" || lv == "error" {
			t.Errorf("server log: logged at %s level: %s", lv, e)
		}
	}
	if dropped != 1 {
		t.Errorf("server log: %d connections dropped, want 1 (bob's first)", dropped)
	}
	if n, err := j.set.Store.CountOffline("bob"); err != nil || n != 0 {
		t.Errorf("store: %d offline messages for bob (%v), want 0", n, err)
	}
}
