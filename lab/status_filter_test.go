package lab_test

// The filters and the pages of the connection list, in the API and on the
// index page (fixture in status_many_test.go).

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/lab"
)

func summaryIDs(list []lab.Summary) []string {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids
}

func TestStatusFilterAPI(t *testing.T) {
	f := newManyFixture(t, 40, lab.StatusOptions{})
	f.checkOutcomes(t)
	all := func(outcome) bool { return true }
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano))
	for _, c := range []struct {
		query string
		keep  func(outcome) bool
	}{
		{"", all},
		{"profile=strip-starttls", func(o outcome) bool { return o.profile == "strip-starttls" }},
		{"profile=standard", func(o outcome) bool { return o.profile == "" }},
		{"profile=standard,cert-expired", func(o outcome) bool { return o.profile == "" || o.profile == "cert-expired" }},
		{"profile=standard&profile=cert-expired", func(o outcome) bool { return o.profile == "" || o.profile == "cert-expired" }},
		{"listener=irc", func(o outcome) bool { return o.listener == "irc" }},
		{"listener=xmpp", func(o outcome) bool { return o.listener == "xmpp" }},
		{"listener=xmpp-direct", func(outcome) bool { return false }},
		{"listener=" + stripPort, func(o outcome) bool { return o.local == stripPort }},
		{"listener=:5300", func(o outcome) bool { return o.local == stripPort }},
		{"listener=" + url.QueryEscape("[::]:5304"), func(o outcome) bool { return o.local == certPort }},
		{"listener=0.0.0.0:5304", func(o outcome) bool { return o.local == certPort }},
		{"listener=10.0.0.1:5304", func(outcome) bool { return false }},
		{"listener=127.0.0.1:5399", func(outcome) bool { return false }},
		{"verdict=fail", func(o outcome) bool { return o.verdict == lab.Fail }},
		{"verdict=pass,inconclusive", func(o outcome) bool { return o.verdict == lab.Pass || o.verdict == lab.Inconclusive }},
		{"verdict=not-exercised", func(o outcome) bool { return o.verdict == lab.NotExercised }},
		{"label=" + manyLabel, all},
		{"label=run-2", func(outcome) bool { return false }},
		{"since=1h", all},
		{"since=" + past, all},
		{"since=" + future, func(outcome) bool { return false }},
		{"profile=strip-starttls&verdict=fail", func(o outcome) bool { return o.profile == "strip-starttls" && o.verdict == lab.Fail }},
		{"listener=" + certPort + "&verdict=pass&label=" + manyLabel, func(o outcome) bool { return o.local == certPort && o.verdict == lab.Pass }},
		// An HTML form sends every field; empty ones are no filter.
		{"profile=&listener=&verdict=fail&label=&since=&limit=", func(o outcome) bool { return o.verdict == lab.Fail }},
	} {
		want := f.expect(c.keep)
		list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections?"+c.query, jsonType), c.query)
		if got := summaryIDs(list.Connections); !slices.Equal(got, want) || list.Total != len(want) || list.Next != "" {
			t.Errorf("?%s: %d connections %v (total %d, next %q); want %d: %v", c.query, len(got), got, list.Total, list.Next, len(want), want)
		}
		// The index page shows the same rows.
		page := getOK(t, f.srv, "/?"+c.query, htmlType).body
		for _, id := range f.ids {
			if has := strings.Contains(page, `id="conn-`+id+`"`); has != slices.Contains(want, id) {
				t.Errorf("index ?%s: row conn-%s shown = %v, want %v", c.query, id, has, !has)
			}
		}
	}
	// A filter in the past also sees the live connections; one later than
	// every start sees nothing.
	list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections?since=0s", jsonType), "since=0s")
	if len(list.Connections) != 0 {
		t.Errorf("since=0s: %v, want none (every connection started before)", summaryIDs(list.Connections))
	}
}

func TestStatusFilterBad(t *testing.T) {
	f := newManyFixture(t, 10, lab.StatusOptions{})
	for _, c := range []struct{ query, says string }{
		{"profile=no-such-profile", `profile "no-such-profile"`},
		{"profile=standard,nope", `profile "nope"`},
		{"verdict=maybe", `verdict "maybe"`},
		{"listener=nowhere", `listener "nowhere"`},
		{"listener=127.0.0.1:http", `listener "127.0.0.1:http"`},
		{"since=yesterday", `since "yesterday"`},
		{"since=-1h", `since "-1h"`},
		{"since=1h&since=2h", "since"},
		{"verdit=fail", `unknown parameter "verdit"`},
	} {
		for _, path := range []string{"/api/connections", "/api/scorecard", "/api/transcripts.jsonl"} {
			r := do(t, f.srv, http.MethodGet, path+"?"+c.query)
			if r.code != http.StatusBadRequest || r.header.Get("Content-Type") != jsonType {
				t.Errorf("%s?%s: status %d, Content-Type %q; want a JSON 400", path, c.query, r.code, r.header.Get("Content-Type"))
				continue
			}
			if e := decode[lab.APIError](t, r, path+"?"+c.query); !strings.Contains(e.Error, c.says) {
				t.Errorf("%s?%s: error %q does not say %s", path, c.query, e.Error, c.says)
			}
		}
		for _, path := range []string{"/", "/scorecard"} {
			r := do(t, f.srv, http.MethodGet, path+"?"+c.query)
			if r.code != http.StatusBadRequest || r.header.Get("Content-Type") != htmlType || !strings.Contains(r.body, `<p id="filter-error" class="error">`) ||
				!strings.Contains(r.body, `<form class="filters"`) || strings.Contains(r.body, `id="conn-`) {
				t.Errorf("page %s?%s: status %d; want a 400 page with the error, the form and no rows:\n%s", path, c.query, r.code, r.body)
			}
		}
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=ten", "before=c-nope"} {
		for _, path := range []string{"/api/connections", "/api/transcripts.jsonl", "/"} {
			if r := do(t, f.srv, http.MethodGet, path+"?"+q); r.code != http.StatusBadRequest {
				t.Errorf("%s?%s: status %d, want 400", path, q, r.code)
			}
		}
	}
	// The scorecard has no pages; one connection's endpoints read their
	// own parameters only.
	for _, path := range []string{"/api/scorecard?limit=5", "/api/connections/c1mxk9q2-1?verdict=fail", "/api/connections/c1mxk9q2-1/transcript.jsonl?x=1"} {
		if r := do(t, f.srv, http.MethodGet, path); r.code != http.StatusBadRequest || !strings.Contains(r.body, "unknown parameter") {
			t.Errorf("%s: status %d %s; want 400 naming the unknown parameter", path, r.code, r.body)
		}
	}
}

func TestStatusFilterForm(t *testing.T) {
	f := newManyFixture(t, 10, lab.StatusOptions{})
	page := getOK(t, f.srv, "/?verdict=fail&listener="+url.QueryEscape(stripPort)+"&since=1h&label="+manyLabel, htmlType).body
	form := between(t, page, `<form class="filters" id="filters" method="get" action="/">`, "</form>")
	for _, want := range []string{
		`<select name="profile"><option value="">any</option><option>standard</option><option>strip-starttls</option>`,
		`<select name="verdict"><option value="">any</option><option>pass</option><option selected>fail</option>`,
		`<input class="listener" name="listener" value="` + stripPort + `"`,
		`<input name="label" value="` + manyLabel + `">`,
		`<input class="since" name="since" value="1h"`,
		`<input class="limit" name="limit" value=""`,
		`<button type="submit">filter</button> <a href="/">clear</a>`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("filter form lacks %s:\n%s", want, form)
		}
	}
	// The addresses connections reached are offered for the listener.
	for _, want := range []string{`<option value="xmpp-direct">`, `<option value="` + stripPort + `">`, `<option value="` + mainIRC + `">`} {
		if !strings.Contains(page, want) {
			t.Errorf("listener choices lack %s", want)
		}
	}
	// The links keep the filter.
	for _, want := range []string{
		`href="/api/connections?label=run-1&amp;listener=127.0.0.1%3A5300&amp;since=1h&amp;verdict=fail"`,
		`href="/api/transcripts.jsonl?label=run-1&amp;listener=127.0.0.1%3A5300&amp;since=1h&amp;verdict=fail"`,
		`href="/scorecard?label=run-1&amp;listener=127.0.0.1%3A5300&amp;since=1h&amp;verdict=fail"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("index lacks the link %s", want)
		}
	}
	if want := "Connections (2 matching, 1 live)"; !strings.Contains(page, want) {
		t.Errorf("index does not say %q", want)
	}
	// Nothing matches: the page says so.
	page = getOK(t, f.srv, "/?label=other", htmlType).body
	if !strings.Contains(page, `<p id="connections" class="empty">No connection matches.</p>`) {
		t.Errorf("index with no match does not say so")
	}
}

func TestStatusPaging(t *testing.T) {
	f := newManyFixture(t, 130, lab.StatusOptions{})
	newest := f.expect(func(outcome) bool { return true })

	// The default page is 100 long.
	list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections", jsonType), "default page")
	if len(list.Connections) != 100 || list.Total != 130 || list.Next != newest[99] || !slices.Equal(summaryIDs(list.Connections), newest[:100]) {
		t.Fatalf("default page: %d connections, total %d, next %q; want the newest 100 of 130, next %s", len(list.Connections), list.Total, list.Next, newest[99])
	}

	// Walking the pages with next gives every connection once, newest
	// first, also while new connections arrive.
	var walked []string
	before := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("more than 20 pages of 7")
		}
		q := "limit=7"
		if before != "" {
			q += "&before=" + before
		}
		list := decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections?"+q, jsonType), q)
		if list.Total < 130 || len(list.Connections) > 7 {
			t.Fatalf("?%s: %d connections of %d", q, len(list.Connections), list.Total)
		}
		walked = append(walked, summaryIDs(list.Connections)...)
		if pages == 3 {
			feedOutcome(t, f.rec, "c-newcomer", outcomes[0], 999)
			f.ids, f.kind = append(f.ids, "c-newcomer"), append(f.kind, outcomes[0])
		}
		if list.Next == "" {
			break
		}
		before = list.Next
	}
	if !slices.Equal(walked, newest) {
		t.Errorf("pages walked: %v\nwant %v", walked, newest)
	}

	// The filters apply before the page is cut; before may name a
	// connection the filter leaves out.
	fails := f.expect(func(o outcome) bool { return o.verdict == lab.Fail })
	list = decode[lab.ConnectionList](t, getOK(t, f.srv, "/api/connections?verdict=fail&limit=5&before="+f.ids[120], jsonType), "fail page")
	var want []string
	for _, id := range fails {
		if slices.Index(f.ids, id) < 120 {
			want = append(want, id)
		}
	}
	if got := summaryIDs(list.Connections); !slices.Equal(got, want[:5]) || list.Next != want[4] {
		t.Errorf("verdict=fail&limit=5&before=%s: %v next %q, want %v next %s", f.ids[120], got, list.Next, want[:5], want[4])
	}

	// The index: the first page links to the next; the next page back to
	// the newest.
	newest = f.expect(func(outcome) bool { return true })
	page := getOK(t, f.srv, "/?limit=50", htmlType).body
	if n := strings.Count(page, `<tr id="conn-`); n != 50 {
		t.Errorf("index ?limit=50 has %d rows", n)
	}
	next := between(t, page, `<a id="next" href="`, `"`)
	if want := "/?before=" + newest[49] + "&amp;limit=50"; next != want {
		t.Fatalf("next link %q, want %q", next, want)
	}
	if strings.Contains(page, `id="newest"`) {
		t.Errorf("the first page links to the newest")
	}
	page = getOK(t, f.srv, strings.ReplaceAll(next, "&amp;", "&"), htmlType).body
	if !strings.Contains(page, `id="conn-`+newest[50]+`"`) || strings.Contains(page, `id="conn-`+newest[49]+`"`) {
		t.Errorf("second page does not start after %s", newest[49])
	}
	if !strings.Contains(page, `<a id="newest" href="/?limit=50">`) {
		t.Errorf("second page does not link to the newest")
	}
	// The default index page is 100 long.
	if n := strings.Count(getOK(t, f.srv, "/", htmlType).body, `<tr id="conn-`); n != 100 {
		t.Errorf("index has %d rows, want 100", n)
	}
}

// between returns what page holds between the first start and the end
// after it.
func between(t *testing.T, page, start, end string) string {
	t.Helper()
	i := strings.Index(page, start)
	if i < 0 {
		t.Fatalf("page lacks %s:\n%s", start, page)
	}
	rest := page[i+len(start):]
	j := strings.Index(rest, end)
	if j < 0 {
		t.Fatalf("page: %s is not closed by %s", start, end)
	}
	return rest[:j]
}
