package interop

// Private XML storage (XEP-0049) with slixmpp's xep_0048 bookmarks
// (testdata/slixmpp_private.py).

import (
	"crypto/rand"
	"encoding/json"
	"os"
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

// randomFile writes n random bytes to a file named name in a temporary
// directory and returns its path and the bytes.
func randomFile(t *testing.T, name string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	file := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return file, b
}

// runAliceBob runs a slixmpp scenario script of testdata with alice's and
// bob's accounts on j (and the extra arguments) and returns the run.
func runAliceBob(t *testing.T, j *jabberd, script string, extra ...string) *run {
	t.Helper()
	host, port := j.addr[:strings.LastIndex(j.addr, ":")], portOf(j.addr)
	path, _ := filepath.Abs(filepath.Join("testdata", script))
	return runClient(t, runOptions{}, append([]string{python, path, "--host", host, "--port", port, "--ca", j.caFile(),
		"--alice", "alice@localhost", "--alice-password", password("alice"),
		"--bob", "bob@localhost", "--bob-password", password("bob")}, extra...)...)
}
