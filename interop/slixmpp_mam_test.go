package interop

// XEP-0313 Message Archive Management and XEP-0359 stanza ids with
// slixmpp's xep_0313, xep_0059 and xep_0359 (testdata/slixmpp_mam.py).

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"jabberd/config"
)

type mamResult struct{ Body, ID, From string }

// TestSlixmppMAM: alice sends bob 7 messages while he is online and 3
// while he is away. What slixmpp itself reports is compared with what its
// script sent: bob's xep_0359 read a stanza-id by bob@localhost on every
// message, live and from offline storage; disco#info of his account and
// of the server list urn:xmpp:mam:2; xep_0313 paging forward 3 at a time
// returns the 10 messages in sending order, each under the stanza-id bob
// saw; paging backward all 10 newest first; filtered with alice the
// same; a start in the future nothing.
func TestSlixmppMAM(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) { c.Chat.AutoRoster = true }})
	host, port := j.addr[:strings.LastIndex(j.addr, ":")], portOf(j.addr)
	script, _ := filepath.Abs(filepath.Join("testdata", "slixmpp_mam.py"))
	r := runClient(t, runOptions{}, python, script, "--host", host, "--port", port, "--ca", j.caFile(),
		"--alice", "alice@localhost", "--alice-password", password("alice"),
		"--bob", "bob@localhost", "--bob-password", password("bob"),
		"--live", "7", "--offline", "3", "--page", "3")
	type ev struct {
		Event, Phase, Body, Sid, By, Who, Query string
		Features                                []string
		Results                                 []mamResult
	}
	var sent []string
	sids := map[string]string{} // body → the stanza-id bob read
	disco := map[string][]string{}
	archives := map[string][]mamResult{}
	last := ""
	for _, line := range strings.Split(strings.TrimSpace(r.stdout.String()), "\n") {
		var e ev
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		last = e.Event
		switch e.Event {
		case "sent":
			sent = append(sent, e.Body)
		case "received":
			if e.By != "bob@localhost" || e.Sid == "" {
				t.Errorf("bob's %s message %q carried stanza-id %q by %q, want one by bob@localhost", e.Phase, e.Body, e.Sid, e.By)
			}
			if _, dup := sids[e.Body]; dup {
				t.Errorf("bob received %q twice", e.Body)
			}
			sids[e.Body] = e.Sid
		case "disco":
			disco[e.Who] = e.Features
		case "archive":
			archives[e.Query] = e.Results
		}
	}
	if r.exitCode() != 0 || last != "done" {
		t.Fatalf("the slixmpp MAM scenario did not complete (exit %d):\n%s", r.exitCode(), r)
	}
	if len(sent) != 10 || len(sids) != 10 {
		t.Fatalf("alice sent %d messages, bob received %d: %v", len(sent), len(sids), sids)
	}
	for _, who := range []string{"account", "server"} {
		if !slices.Contains(disco[who], "urn:xmpp:mam:2") {
			t.Errorf("slixmpp's disco#info of the %s has no urn:xmpp:mam:2: %v", who, disco[who])
		}
	}
	check := func(query string, want []string) {
		t.Helper()
		got := archives[query]
		var bodies []string
		for _, m := range got {
			bodies = append(bodies, m.Body)
			if m.ID != sids[m.Body] || m.From != "alice@localhost/"+strings.SplitN(m.From, "/", 2)[1] {
				t.Errorf("%s: %q is in the archive as %s from %s; bob saw stanza-id %s", query, m.Body, m.ID, m.From, sids[m.Body])
			}
		}
		if !slices.Equal(bodies, want) {
			t.Errorf("xep_0313 %s returned %q, want %q", query, bodies, want)
		}
	}
	check("forward", sent)
	check("with-alice", sent)
	check("future", nil)
	// Backward, newest first. slixmpp 1.8.3's xep_0059 iterate stops when
	// the page's first index plus its size is the count, which going
	// backward is true of the newest page already: with the optional
	// index in <first/>, reverse paging returned only the newest 3
	// (first run). jabberd leaves the index out; slixmpp then pages back
	// to an empty page.
	reversed := slices.Clone(sent)
	slices.Reverse(reversed)
	check("reverse", reversed)
	if n, _ := j.set.Store.CountArchive("bob@localhost"); n != 10 {
		t.Errorf("store: bob's archive holds %d messages, want 10", n)
	}
}
