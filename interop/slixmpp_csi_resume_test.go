package interop

// XEP-0352 across a XEP-0198 resumption with slixmpp
// (testdata/slixmpp_csi_resume.py).

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"jabberd/config"
)

// TestSlixmppCSIResume: bob's slixmpp says it is inactive; alice goes
// away (held for him); his connection is aborted; she goes dnd (held
// too, the latest replacing the one before); slixmpp resumes, and the
// first thing it gets from her is the held dnd — before her message, and
// nothing of "away" — where before the held presence was lost with the
// old connection.
func TestSlixmppCSIResume(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) { c.Chat.AutoRoster = true }})
	script, _ := filepath.Abs(filepath.Join("testdata", "slixmpp_csi_resume.py"))
	r := runClient(t, runOptions{}, python, script, "--server", j.addr, "--ca", j.caFile(),
		"--sender", "alice@localhost", "--sender-password", password("alice"),
		"--receiver", "bob@localhost", "--receiver-password", password("bob"))
	events := parseSlixmpp(t, r)
	if r.exitCode() != 0 || len(events) == 0 || events[len(events)-1].Event != "done" {
		t.Fatalf("slixmpp csi-resume scenario failed (exit %d):\n%s", r.exitCode(), r)
	}
	from := slices.IndexFunc(events, func(e slixEvent) bool { return e.Event == "inactive" })
	var got []string
events:
	for _, e := range events[from+1:] {
		switch {
		case e.Who != "receiver":
		case e.Event == "presence" && strings.HasPrefix(e.From, "alice@localhost/"):
			got = append(got, "presence "+e.Type)
		case e.Event == "message":
			got = append(got, "message "+e.Body)
			if e.Body == "wake" {
				break events // what follows is the end (alice's unavailable as both leave)
			}
		case e.Event == "dropped", e.Event == "resumed":
			got = append(got, e.Event)
		}
	}
	if want := []string{"dropped", "resumed", "presence dnd", "message wake"}; !slices.Equal(got, want) {
		t.Errorf("bob's slixmpp, from <inactive/> on: %q, want %q", got, want)
	}
	j.waitLog(t, 1, fields{"message": "session resumed"})
}
