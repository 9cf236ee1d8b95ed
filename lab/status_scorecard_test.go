package lab_test

// The scorecard, as JSON and as a page (fixture in status_many_test.go).

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"jabberd/lab"
)

// countOutcomes is the scorecard a list of outcomes should give, counted
// here from the fixture's own table.
func countOutcomes(f *manyFixture, keep func(outcome) bool) (byProfile map[string]lab.ScoreCounts, byGroup map[string]lab.ScoreCounts) {
	byProfile, byGroup = map[string]lab.ScoreCounts{}, map[string]lab.ScoreCounts{}
	for _, o := range f.kind {
		if !keep(o) {
			continue
		}
		p := o.profile
		if p == "" {
			p = "standard"
		}
		bump := func(c lab.ScoreCounts) lab.ScoreCounts {
			switch {
			case o.live:
				c.Live++
			case o.verdict == lab.Pass:
				c.Pass++
			case o.verdict == lab.Fail:
				c.Fail++
			case o.verdict == lab.Inconclusive:
				c.Inconclusive++
			default:
				c.NotExercised++
			}
			return c
		}
		byProfile[p] = bump(byProfile[p])
		k := manyLabel + "|" + o.listener + "|" + o.local + "|" + p
		byGroup[k] = bump(byGroup[k])
	}
	return byProfile, byGroup
}

func TestStatusScorecardAPI(t *testing.T) {
	f := newManyFixture(t, 50, lab.StatusOptions{})
	f.checkOutcomes(t)
	r := getOK(t, f.srv, "/api/scorecard", jsonType)
	sc := decode[lab.Scorecard](t, r, "/api/scorecard")
	wantProfiles, wantGroups := countOutcomes(f, func(outcome) bool { return true })

	// A row for standard and every profile, in order, zeros included.
	names := []string{"standard"}
	for _, p := range lab.Profiles() {
		names = append(names, p.Name)
	}
	var got []string
	var total lab.ScoreCounts
	for _, row := range sc.Profiles {
		got = append(got, row.Profile)
		if row.ScoreCounts != wantProfiles[row.Profile] {
			t.Errorf("profile %s: %+v, want %+v", row.Profile, row.ScoreCounts, wantProfiles[row.Profile])
		}
		total.Pass += row.Pass
		total.Fail += row.Fail
		total.Inconclusive += row.Inconclusive
		total.NotExercised += row.NotExercised
		total.Live += row.Live
	}
	if !slices.Equal(got, names) {
		t.Errorf("profile rows %v, want %v", got, names)
	}
	if sc.Total != total || sc.Total.Total() != 50 {
		t.Errorf("total %+v, want %+v (50 connections)", sc.Total, total)
	}
	// The fixture's known counts, spelled out once: 50 connections, 5 of
	// each outcome.
	if s := sc.Profiles[slices.Index(names, "strip-starttls")]; s.Pass != 5 || s.Fail != 5 || s.Inconclusive != 5 || s.NotExercised != 0 || s.Live != 5 {
		t.Errorf("strip-starttls: %+v, want 5 pass, 5 fail, 5 inconclusive, 5 live", s.ScoreCounts)
	}

	// One group per label, listener address and profile, in order.
	var keys []string
	for _, g := range sc.Groups {
		k := g.Label + "|" + g.Listener + "|" + g.Local + "|" + g.Profile
		keys = append(keys, k)
		if g.ScoreCounts != wantGroups[k] {
			t.Errorf("group %s: %+v, want %+v", k, g.ScoreCounts, wantGroups[k])
		}
	}
	wantKeys := []string{
		"run-1|xmpp|" + mainXMPP + "|standard",
		"run-1|xmpp|" + stripPort + "|strip-starttls",
		"run-1|xmpp|" + certPort + "|cert-expired",
		"run-1|irc|" + mainIRC + "|standard",
	}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("groups %v, want %v", keys, wantKeys)
	}

	// The shape, as a harness reads it: counts keyed by the verdict.
	var raw struct {
		Profiles []map[string]any `json:"profiles"`
		Groups   []map[string]any `json:"groups"`
		Total    map[string]int   `json:"total"`
	}
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pass", "fail", "inconclusive", "not-exercised", "live"} {
		if _, ok := raw.Total[k]; !ok {
			t.Errorf("total lacks %q: %v", k, raw.Total)
		}
		if _, ok := raw.Groups[0][k]; !ok {
			t.Errorf("group lacks %q: %v", k, raw.Groups[0])
		}
	}
	for _, k := range []string{"label", "listener", "local", "profile"} {
		if _, ok := raw.Groups[0][k]; !ok {
			t.Errorf("group lacks %q: %v", k, raw.Groups[0])
		}
	}
}

func TestStatusScorecardFilters(t *testing.T) {
	f := newManyFixture(t, 30, lab.StatusOptions{})
	for _, c := range []struct {
		query string
		keep  func(outcome) bool
		rows  []string // the profile rows
	}{
		{"listener=" + url.QueryEscape(stripPort), func(o outcome) bool { return o.local == stripPort }, nil},
		{"listener=irc", func(o outcome) bool { return o.listener == "irc" }, nil},
		{"profile=cert-expired", func(o outcome) bool { return o.profile == "cert-expired" }, []string{"cert-expired"}},
		{"profile=standard,strip-starttls&verdict=fail", func(o outcome) bool {
			return (o.profile == "" || o.profile == "strip-starttls") && o.verdict == lab.Fail
		},
			[]string{"standard", "strip-starttls"}},
		{"label=other", func(outcome) bool { return false }, nil},
	} {
		sc := decode[lab.Scorecard](t, getOK(t, f.srv, "/api/scorecard?"+c.query, jsonType), c.query)
		wantProfiles, wantGroups := countOutcomes(f, c.keep)
		if c.rows != nil {
			var got []string
			for _, row := range sc.Profiles {
				got = append(got, row.Profile)
			}
			if !slices.Equal(got, c.rows) {
				t.Errorf("?%s: profile rows %v, want %v", c.query, got, c.rows)
			}
		} else if len(sc.Profiles) != len(lab.Profiles())+1 {
			t.Errorf("?%s: %d profile rows, want every profile and standard", c.query, len(sc.Profiles))
		}
		for _, row := range sc.Profiles {
			if row.ScoreCounts != wantProfiles[row.Profile] {
				t.Errorf("?%s: profile %s %+v, want %+v", c.query, row.Profile, row.ScoreCounts, wantProfiles[row.Profile])
			}
		}
		if len(sc.Groups) != len(wantGroups) {
			t.Errorf("?%s: %d groups, want %d", c.query, len(sc.Groups), len(wantGroups))
		}
		for _, g := range sc.Groups {
			if k := g.Label + "|" + g.Listener + "|" + g.Local + "|" + g.Profile; g.ScoreCounts != wantGroups[k] {
				t.Errorf("?%s: group %s %+v, want %+v", c.query, k, g.ScoreCounts, wantGroups[k])
			}
		}
	}
}

func TestStatusScorecardPage(t *testing.T) {
	f := newManyFixture(t, 20, lab.StatusOptions{})
	page := getOK(t, f.srv, "/scorecard", htmlType).body
	all := between(t, page, `<table class="scorecard" id="score-all">`, "</table>")
	strip := between(t, all, `<tr data-profile="strip-starttls">`, "</tr>")
	// 20 connections: strip-starttls has 2 of each of its outcomes.
	for _, want := range []string{
		`<td class="count pass" data-verdict="pass"><a href="/?profile=strip-starttls&amp;verdict=pass">2</a></td>`,
		`<td class="count fail" data-verdict="fail"><a href="/?profile=strip-starttls&amp;verdict=fail">2</a></td>`,
		`<td class="count not-exercised" data-verdict="not-exercised"><span class="none">0</span></td>`,
		`<td class="count live" data-verdict="live">2</td>`,
		`<td class="count total">8</td>`,
	} {
		if !strings.Contains(strip, want) {
			t.Errorf("strip-starttls row lacks %s:\n%s", want, strip)
		}
	}
	if !strings.Contains(all, `<tr data-profile="slow-handshake">`) {
		t.Errorf("a profile nobody tried has no row")
	}
	// A table per label and listener address; its counts link to the
	// connections of that address and label.
	port := between(t, page, `data-label="run-1" data-local="`+stripPort+`">`, "</table>")
	if want := fmt.Sprintf(`<a href="/?label=run-1&amp;listener=%s&amp;profile=strip-starttls&amp;verdict=fail">2</a>`, url.QueryEscape(stripPort)); !strings.Contains(port, want) {
		t.Errorf("the %s table lacks %s:\n%s", stripPort, want, port)
	}
	if strings.Contains(port, `data-profile="standard"`) {
		t.Errorf("the %s table has a standard row it has no connection for", stripPort)
	}
	// Every count link lists exactly the connections it counts.
	link := strings.ReplaceAll(between(t, port, `data-verdict="pass"><a href="`, `"`), "&amp;", "&")
	list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api"+strings.Replace(link, "/?", "/connections?", 1), jsonType), link)
	if len(list.Connections) != 2 {
		t.Errorf("%s lists %d connections, want the 2 counted", link, len(list.Connections))
	}
	for _, s := range list.Connections {
		if s.Verdict != lab.Pass || s.Local != stripPort || s.Profile != "strip-starttls" {
			t.Errorf("%s lists %+v", link, s)
		}
	}
	// The filters apply to the page too, and are in its form.
	page = getOK(t, f.srv, "/scorecard?listener=irc", htmlType).body
	if strings.Contains(page, `data-local="`+stripPort+`"`) || !strings.Contains(page, `data-local="`+mainIRC+`"`) {
		t.Errorf("/scorecard?listener=irc shows other listeners' tables")
	}
	if !strings.Contains(page, `<form class="filters" id="filters" method="get" action="/scorecard">`) || !strings.Contains(page, `<input class="listener" name="listener" value="irc"`) {
		t.Errorf("/scorecard has no filter form with its filter")
	}
	if !strings.Contains(page, `href="/api/scorecard?listener=irc"`) || !strings.Contains(page, `href="/?listener=irc"`) {
		t.Errorf("/scorecard does not link its JSON and its connections under the same filter")
	}
}
