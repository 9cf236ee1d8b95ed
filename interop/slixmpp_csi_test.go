package interop

// XEP-0352 with slixmpp's xep_0352 plugin (testdata/slixmpp_client.py,
// scenario csi).

import (
	"slices"
	"testing"

	"jabberd/config"
)

// TestSlixmppClientStateIndication: while bob is inactive, alice's two
// presence changes are held, only the latest kept, and come just before
// her message, which releases them.
func TestSlixmppClientStateIndication(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) { c.Chat.AutoRoster = true }})
	args := append(slixmppArgs(j), "csi",
		"--sender", "alice@localhost", "--sender-password", password("alice"), "--sender-mech", "PLAIN",
		"--receiver", "bob@localhost", "--receiver-password", password("bob"), "--receiver-mech", "PLAIN")
	r := runClient(t, runOptions{}, args...)
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 {
		t.Fatalf("slixmpp csi scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	alice := assertSession(t, r, events, "sender", "alice@localhost")
	from := slices.IndexFunc(events, func(e slixEvent) bool { return e.Event == "inactive" })
	// Up to the message: what follows (alice's unavailable as both leave
	// at once) is after bob is active again.
	var got []string
	for _, e := range events[from+1:] {
		switch {
		case e.Who != "receiver":
			continue
		case e.Event == "presence" && e.From == alice:
			got = append(got, "presence "+e.Type)
		case e.Event == "message":
			got = append(got, "message "+e.Body)
		}
		if e.Event == "message" {
			break
		}
	}
	if want := []string{"presence dnd", "message wake"}; !slices.Equal(got, want) {
		t.Errorf("bob, inactive, received %q, want %q", got, want)
	}
	assertNothingFailed(t, j)
}
