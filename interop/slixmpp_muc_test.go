package interop

// slixmpp's xep_0045 as three occupants of one room on jabberd's
// multi-user chat service (testdata/slixmpp_muc.py): disco finds the
// service, joins (201 for the creator, 110 for each; slixmpp counts
// itself among the occupants), a nickname conflict,
// a groupchat message all three receive, the subject, a private message
// through the room, and a kick (307) the kicked and the others see.

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"jabberd/config"
)

type mucEvent struct {
	Event       string   `json:"event"`
	Who         string   `json:"who"`
	Nick        string   `json:"nick"`
	Codes       []int    `json:"codes"`
	Role        string   `json:"role"`
	Affiliation string   `json:"affiliation"`
	Occupants   []string `json:"occupants"`
	Items       []string `json:"items"`
	MUC         bool     `json:"muc"`
	Error       *string  `json:"error"`
	Sender      string   `json:"sender"`
	Body        string   `json:"body"`
	By          string   `json:"by"`
	Subject     string   `json:"subject"`
	Type        string   `json:"type"`
	Reason      string   `json:"reason"`
	Nicks       []string `json:"nicks"`
	Name        string   `json:"name"`
	Persistent  bool     `json:"persistent"`
	History     []struct {
		Sender  string `json:"sender"`
		Body    string `json:"body"`
		Delayed bool   `json:"delayed"`
	} `json:"history"`
}

// runSlixmppMUC runs one scenario of testdata/slixmpp_muc.py in room with
// three users (JID, password, …) and returns what slixmpp reported; it
// fails the test unless the scenario completed.
func runSlixmppMUC(t *testing.T, j *jabberd, scenario, room string, users ...string) []mucEvent {
	t.Helper()
	host, port, _ := net.SplitHostPort(j.addr)
	script, _ := filepath.Abs(filepath.Join("testdata", "slixmpp_muc.py"))
	args := []string{python, script, "--scenario", scenario, "--host", host, "--port", port, "--ca", j.caFile(), "--room", room}
	for i := 0; i+1 < len(users); i += 2 {
		args = append(args, "--user", users[i], users[i+1])
	}
	r := runClient(t, runOptions{}, args...)
	var events []mucEvent
	for _, line := range strings.Split(strings.TrimSpace(r.stdout.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var e mucEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON (%v): %q\n%s", err, line, r)
		}
		events = append(events, e)
	}
	if r.exitCode() != 0 || len(events) == 0 || events[len(events)-1].Event != "done" {
		t.Fatalf("slixmpp MUC scenario %s did not complete (exit %d):\n%s", scenario, r.exitCode(), r)
	}
	return events
}

func TestSlixmppMUC(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	events := runSlixmppMUC(t, j, "talk", "interop@conference.localhost",
		"alice@localhost", password("alice"), "bob@localhost", password("bob"), "carol@localhost", password("carol"))
	get := func(event, who string) []mucEvent {
		var out []mucEvent
		for _, e := range events {
			if e.Event == event && (who == "" || e.Who == who) {
				out = append(out, e)
			}
		}
		return out
	}
	if d := get("disco", ""); len(d) != 1 || !slices.Contains(d[0].Items, "conference.localhost") || !d[0].MUC {
		t.Errorf("disco: %+v", d)
	}
	joins := get("joined", "")
	if len(joins) != 3 {
		t.Fatalf("joins: %+v", joins)
	}
	if a := joins[0]; !slices.Equal(a.Codes, []int{110, 170, 201}) || a.Affiliation != "owner" || a.Role != "moderator" {
		t.Errorf("alice's join: %+v", a)
	}
	if b := joins[1]; !slices.Equal(b.Codes, []int{110, 170}) || b.Role != "participant" || !slices.Equal(b.Occupants, []string{"Alice", "Bob"}) {
		t.Errorf("bob's join: %+v", b)
	}
	if c := joins[2]; !slices.Equal(c.Occupants, []string{"Alice", "Bob", "Carol"}) {
		t.Errorf("carol's join: %+v", c)
	}
	if c := get("conflict", ""); len(c) != 1 || c[0].Error == nil || *c[0].Error != "conflict" {
		t.Errorf("nick conflict: %+v", c)
	}
	for _, who := range []string{"alice", "bob", "carol"} {
		if g := get("groupchat", who); len(g) != 1 || g[0].Sender != "Bob" || g[0].Body != "hello from bob" {
			t.Errorf("%s's groupchat: %+v", who, g)
		}
		if s := get("subject", who); len(s) != 1 || s[0].By != "Alice" {
			t.Errorf("%s's subject: %+v", who, s)
		}
	}
	if p := get("private", "bob"); len(p) != 1 || p[0].Sender != "interop@conference.localhost/Carol" || p[0].Type != "chat" {
		t.Errorf("private message: %+v", p)
	}
	if k := get("kicked", "carol"); len(k) != 1 || !slices.Equal(k[0].Codes, []int{110, 307}) || k[0].Reason != "interop kick" {
		t.Errorf("kicked: %+v", k)
	}
	if k := get("saw_kick", "bob"); len(k) != 1 || !slices.Equal(k[0].Codes, []int{307}) {
		t.Errorf("bob saw the kick: %+v", k)
	}
	if n := get("roster", "bob"); len(n) != 1 || !slices.Equal(n[0].Nicks, []string{"Alice", "Bob"}) {
		t.Errorf("bob's occupant list after the kick: %+v", n)
	}
}

// TestSlixmppMUCPersistentRestart: slixmpp's alice makes a room persistent
// through the configuration form and sets its subject; after a restart of
// the server on the same state directory, slixmpp's bob joins it and finds
// its name, its subject, muc_persistent and what alice said before the
// restart, in the history of the join with a delay stamp.
func TestSlixmppMUCPersistentRestart(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	dir := t.TempDir()
	keep := func(c *config.Config) { c.StateDir = dir }
	runMUC := func(j *jabberd, scenario string) []mucEvent {
		return runSlixmppMUC(t, j, scenario, "kept@conference.localhost",
			"alice@localhost", password("alice"), "bob@localhost", password("bob"), "carol@localhost", password("carol"))
	}
	j1 := startJabberd(t, serverOptions{configure: keep})
	runMUC(j1, "persist")
	if err := j1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	j1.Set.Store.Close()
	j2 := startJabberd(t, serverOptions{configure: keep})
	var got *mucEvent
	for _, e := range runMUC(j2, "rejoin") {
		if e.Event == "rejoined" {
			got = &e
		}
	}
	if got == nil || got.Subject != "Survives restarts" || got.Name != "Kept room" || !got.Persistent || !slices.Equal(got.Codes, []int{110, 170}) {
		t.Errorf("after the restart: %+v", got)
	}
	if got != nil && (len(got.History) != 1 || got.History[0].Sender != "Alice" || got.History[0].Body != "said before the restart" || !got.History[0].Delayed) {
		t.Errorf("the history slixmpp got after the restart: %+v", got.History)
	}
}

// TestSlixmppMUCMultiSession: two slixmpp clients logged in as two
// resources of alice's account both join as Alice; slixmpp's bob is the
// third occupant. What each slixmpp reports: the second join succeeds (its
// own presence with 110, the occupants Alice and Bob), bob's message
// reaches both sessions, the first session's leave is answered to it (110)
// and after it the second still gets bob's messages while bob's slixmpp
// still lists Alice.
func TestSlixmppMUCMultiSession(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	events := runSlixmppMUC(t, j, "multisession", "shared@conference.localhost",
		"alice@localhost/one", password("alice"), "alice@localhost/two", password("alice"), "bob@localhost", password("bob"))
	var msgs []string
	for _, e := range events {
		switch e.Event {
		case "joined":
			if e.Nick != "Alice" || !slices.Equal(e.Codes, []int{110, 170}) || e.Affiliation != "owner" || !slices.Equal(e.Occupants, []string{"Alice", "Bob"}) {
				t.Errorf("the second session's join: %+v", e)
			}
		case "groupchat":
			msgs = append(msgs, e.Who+":"+e.Sender+":"+e.Body)
		case "left":
			if !slices.Equal(e.Codes, []int{110}) {
				t.Errorf("the first session's leave: %+v", e)
			}
		case "roster":
			if !slices.Equal(e.Nicks, []string{"Alice", "Bob"}) {
				t.Errorf("bob's occupants after one session left: %+v", e)
			}
		}
	}
	if want := []string{"one:Bob:to both sessions", "two:Bob:to both sessions", "two:Bob:after one left"}; !slices.Equal(msgs, want) {
		t.Errorf("messages %v, want %v", msgs, want)
	}
}

// TestSlixmppMUCRegisterAndVoice: slixmpp's bob registers the nickname
// Bobby with the room through its xep_0077 (the muc#register form) and
// finds it again through disco (x-roomuser-item); slixmpp's carol cannot
// join as Bobby, joins a moderated room as a visitor and asks for voice
// with xep_0045's request_voice; slixmpp's alice, a moderator, gets the
// request form, submits it approved, and carol's slixmpp sees herself a
// participant. bob's cancel_registration frees the nickname.
func TestSlixmppMUCRegisterAndVoice(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	events := runSlixmppMUC(t, j, "register_voice", "voice@conference.localhost",
		"alice@localhost", password("alice"), "bob@localhost", password("bob"), "carol@localhost", password("carol"))
	seen := map[string]mucEvent{}
	for _, e := range events {
		seen[e.Event] = e
	}
	if e := seen["register_form"]; !slices.Contains(e.Items, "muc#register_roomnick") {
		t.Errorf("the registration form: %+v", e)
	}
	if e := seen["registered"]; e.Type != "result" {
		t.Errorf("registering: %+v", e)
	}
	if e := seen["reserved"]; !slices.Equal(e.Nicks, []string{"Bobby"}) {
		t.Errorf("x-roomuser-item: %+v", e)
	}
	if e := seen["conflict"]; e.Error == nil || *e.Error != "conflict" {
		t.Errorf("carol as Bobby: %+v", e)
	}
	if e := seen["joined"]; e.Role != "visitor" {
		t.Errorf("carol's join in a moderated room: %+v", e)
	}
	if e := seen["voice_request"]; e.Nick != "Carol" || e.Type != "False" {
		t.Errorf("the voice request alice got: %+v", e)
	}
	if e := seen["voiced"]; e.Role != "participant" {
		t.Errorf("carol after the approval: %+v", e)
	}
	if e, ok := seen["unregistered"]; !ok || len(e.Nicks) != 0 {
		t.Errorf("x-roomuser-item after cancel_registration: %+v", e)
	}
}

// TestSlixmppMUCArchive: a room is logged by default. slixmpp's alice
// creates one and says three things; slixmpp's bob, who never joined,
// finds urn:xmpp:mam:2 in its disco#info and reads the three messages back
// with xep_0313, two per page (xep_0059), each from alice's occupant JID
// with a delay stamp; slixmpp's carol joins with 110 and 170 and finds the
// room's xep_0359 stanza-id on the next message.
func TestSlixmppMUCArchive(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	room := "logged@conference.localhost"
	events := runSlixmppMUC(t, j, "archive", room,
		"alice@localhost", password("alice"), "bob@localhost", password("bob"), "carol@localhost", password("carol"))
	var joins []mucEvent
	for _, e := range events {
		switch e.Event {
		case "joined":
			joins = append(joins, e)
		case "disco":
			if !slices.Contains(e.Items, "urn:xmpp:mam:2") {
				t.Errorf("the room's disco#info: %+v", e.Items)
			}
		case "archive":
			var got []string
			for _, h := range e.History {
				if !h.Delayed {
					t.Errorf("an archived message without a delay: %+v", h)
				}
				got = append(got, h.Sender+" "+h.Body)
			}
			want := []string{room + "/Alice archived 0", room + "/Alice archived 1", room + "/Alice archived 2"}
			if !slices.Equal(got, want) {
				t.Errorf("the archive slixmpp read: %q, want %q", got, want)
			}
		case "stanza_id":
			if e.By != room || e.Type == "" {
				t.Errorf("the stanza-id carol got: %+v", e)
			}
		}
	}
	if len(joins) != 2 || !slices.Equal(joins[0].Codes, []int{110, 170, 201}) || !slices.Equal(joins[1].Codes, []int{110, 170}) {
		t.Errorf("join codes: %+v", joins)
	}
}
