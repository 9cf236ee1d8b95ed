package interop

// Private XML storage (XEP-0049) with slixmpp's xep_0048 bookmarks
// (testdata/slixmpp_private.py).

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSlixmppPrivateBookmarks: alice's first slixmpp finds no bookmarks
// in private storage, stores two conferences and a URL; her second
// slixmpp (another resource) reads back exactly what the first stored,
// as slixmpp's xep_0048 parsed it.
func TestSlixmppPrivateBookmarks(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{})
	host, port := j.addr[:strings.LastIndex(j.addr, ":")], portOf(j.addr)
	script, _ := filepath.Abs(filepath.Join("testdata", "slixmpp_private.py"))
	r := runClient(t, runOptions{}, python, script, "--host", host, "--port", port, "--ca", j.caFile(),
		"--jid", "alice@localhost", "--password", password("alice"))
	type conf struct {
		JID, Nick, Name string
		Autojoin        bool
	}
	type ev struct {
		Private     bool
		Conferences []conf
		URLs        []string
	}
	got := scenarioEvents[ev](t, r, "private storage")
	if !got["disco//"].Private {
		t.Errorf("slixmpp's disco#info of the server has no jabber:iq:private")
	}
	if e := got["bookmarks/first/before"]; len(e.Conferences)+len(e.URLs) != 0 {
		t.Errorf("before the store the first client read %+v, want no bookmarks", e)
	}
	want := []conf{{"lab@conference.localhost", "alice", "The Lab", true}, {"tea@conference.localhost", "al", "Tea", false}}
	e := got["bookmarks/second/after"]
	if !reflect.DeepEqual(e.Conferences, want) || !reflect.DeepEqual(e.URLs, []string{"https://example.org/"}) {
		t.Errorf("the second client read conferences %+v and URLs %q\nwant %+v and [https://example.org/]", e.Conferences, e.URLs, want)
	}
}

// scenarioEvents reads what a slixmpp scenario script (one using
// testdata/scenario.py) printed, one JSON object per line, keyed by
// "event/who/phase"; it fails the test unless the script ended with
// "done" and exit status 0.
func scenarioEvents[E any](t *testing.T, r *run, what string) map[string]E {
	t.Helper()
	got := map[string]E{}
	last := ""
	for _, line := range strings.Split(strings.TrimSpace(r.stdout.String()), "\n") {
		var k struct{ Event, Who, Phase string }
		var e E
		if json.Unmarshal([]byte(line), &k) == nil && json.Unmarshal([]byte(line), &e) == nil {
			got[k.Event+"/"+k.Who+"/"+k.Phase] = e
			last = k.Event
		}
	}
	if r.exitCode() != 0 || last != "done" {
		t.Fatalf("the slixmpp %s scenario did not complete (exit %d):\n%s", what, r.exitCode(), r)
	}
	return got
}
