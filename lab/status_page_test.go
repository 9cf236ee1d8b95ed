package lab_test

// The status page's HTML: the index, the transcript page, and escaping of
// what clients sent (fixture in status_test.go).

import (
	"fmt"
	"strings"
	"testing"

	"jabberd/lab"
)

// row returns the <tr id="conn-id"> element of page.
func row(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<tr id="conn-`+id+`"`)
	if start < 0 {
		t.Fatalf("page has no row conn-%s:\n%s", id, page)
	}
	end := strings.Index(page[start:], "</tr>")
	if end < 0 {
		t.Fatalf("row conn-%s is not closed", id)
	}
	return page[start : start+end]
}

func TestStatusIndexPage(t *testing.T) {
	f := newFixture(t)
	page := getOK(t, f.srv, "/", htmlType).body
	r1 := row(t, page, "c1")
	for _, want := range []string{
		`<a href="/connections/c1">c1</a>`,
		`<td class="listener"><span class="listener-name">xmpp</span></td>`,
		`<td class="remote">127.0.0.1:40001</td>`,
		`<span class="profile-name">sasl-before-tls</span> <span class="by">by username</span>`,
		`<td class="dialect">rfc6120</td>`,
		`<td class="tls">` + tls13 + `</td>`,
		`<span class="verdict-badge fail" data-verdict="fail">fail</span>`,
		`<span class="reason">the client sent credentials`,
		`<span class="flag fail" data-flag="plaintext-credentials">plaintext-credentials</span>`,
		`<time datetime="`,
	} {
		if !strings.Contains(r1, want) {
			t.Errorf("row conn-c1 lacks %s:\n%s", want, r1)
		}
	}
	// The rest of the summary is on the connection page only.
	for _, gone := range []string{`class="sni"`, `class="client-cert"`, `class="mechanism"`, `class="identity"`, `class="close-reason"`, `class="bytes"`} {
		if strings.Contains(r1, gone) {
			t.Errorf("row conn-c1 still has %s:\n%s", gone, r1)
		}
	}
	r2 := row(t, page, "c2")
	for _, want := range []string{`<span class="listener-name">irc</span>`, `<span class="profile-name">standard</span>`, `<span class="badge live">live</span>`,
		`<span class="verdict-badge not-exercised provisional" data-verdict="not-exercised">`, `<td class="tls">none</td>`} {
		if !strings.Contains(r2, want) {
			t.Errorf("row conn-c2 lacks %s:\n%s", want, r2)
		}
	}
	if strings.Contains(r2, "data-flag") {
		t.Errorf("row conn-c2 shows flags it does not have:\n%s", r2)
	}
	// One table, newest first: c3, c2 (live), c1 (ended).
	table := strings.Index(page, `<table id="connections">`)
	i1, i2, i3 := strings.Index(page, `id="conn-c1"`), strings.Index(page, `id="conn-c2"`), strings.Index(page, `id="conn-c3"`)
	if table < 0 || !(table < i3 && i3 < i2 && i2 < i1) {
		t.Errorf("table and rows out of place: table %d, c3 %d, c2 %d, c1 %d", table, i3, i2, i1)
	}
	if !strings.Contains(page, `Connections (3, 2 live)`) {
		t.Errorf("page does not count 3 connections, 2 live")
	}
	for _, p := range lab.Profiles() {
		if !strings.Contains(page, `<dt id="profile-`+p.Name+`">`+p.Name+`</dt>`) {
			t.Errorf("profile %s not listed", p.Name)
		}
	}
	for _, want := range []string{`href="/api/connections"`, `href="/api/profiles"`, "/api/connections/{id}", `href="/api/scorecard"`,
		`href="/api/transcripts.jsonl"`, "/api/connections/{id}/transcript.jsonl", `href="/scorecard"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not show the JSON endpoint %s", want)
		}
	}
	if strings.Contains(page, "http-equiv") || strings.Contains(page, "<script") {
		t.Errorf("page refreshes itself or carries a script")
	}
	if strings.Contains(page, `id="transcripts-off"`) {
		t.Errorf("page says transcripts are off although there is a book")
	}

	// A reload shows what changed.
	f.book.Start("c4", "xmpp", "127.0.0.1:40004", "127.0.0.1")
	f.book.Get("c2")
	c2, _ := f.book.Get("c2")
	c2.End("ping timeout")
	page = getOK(t, f.srv, "/", htmlType).body
	row(t, page, "c4")
	if r := row(t, page, "c2"); strings.Contains(r, "live") {
		t.Errorf("after End, row conn-c2 is still live:\n%s", r)
	}
}

func TestStatusEscaping(t *testing.T) {
	f := newFixture(t)
	page := getOK(t, f.srv, "/connections/c1", htmlType).body
	if !strings.Contains(page, "<pre>&lt;message&gt;&lt;body&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/body&gt;&lt;/message&gt;</pre>") {
		t.Errorf("transcript page does not show the hostile record escaped:\n%s", page)
	}
	index := getOK(t, f.srv, "/", htmlType).body
	c3 := getOK(t, f.srv, "/connections/c3", htmlType).body
	if !strings.Contains(c3, `<dd class="sni">&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;.localhost</dd>`) {
		t.Errorf("connection c3 does not show the hostile SNI escaped:\n%s", c3)
	}
	for name, p := range map[string]string{"transcript": page, "index": index, "c3": c3} {
		if strings.Contains(p, "<script") || strings.Contains(p, "alert(1)</script>") {
			t.Errorf("%s page carries a live script tag:\n%s", name, p)
		}
	}
}

func TestStatusTranscriptPage(t *testing.T) {
	f := newFixture(t)
	page := getOK(t, f.srv, "/connections/c1", htmlType).body
	t1, _ := f.book.Get("c1")
	recs := t1.Records()
	for _, rec := range recs {
		tag := fmt.Sprintf(`<tr id="rec-%d" class="rec dir-%s phase-%s`, rec.Seq, rec.Dir, rec.Phase)
		i := strings.Index(page, tag)
		if i < 0 {
			t.Errorf("record %d (%s, %s) has no row %s", rec.Seq, rec.Dir, rec.Phase, tag)
			continue
		}
		end := strings.Index(page[i:], "</tr>")
		r := page[i : i+end]
		if rec.Dir != lab.DirEvent && !strings.Contains(r, fmt.Sprintf(`<td class="offset">%d</td><td class="len">%d</td>`, rec.Offset, rec.Len)) {
			t.Errorf("record %d row lacks offset %d and len %d:\n%s", rec.Seq, rec.Offset, rec.Len, r)
		}
	}
	// The phases are marked where they change: plaintext → tls →
	// authenticated.
	for _, ph := range []string{lab.PhaseTLS, lab.PhaseAuthenticated} {
		if !strings.Contains(page, `<tr class="phase-change" data-phase="`+ph+`">`) {
			t.Errorf("no phase-change marker for %s", ph)
		}
	}
	for _, want := range []string{
		`<dd class="tls">` + tls13 + `</dd>`,
		`<dd class="close-reason">client closed the stream</dd>`,
		`data-flag="plaintext-credentials"`,
		`<span class="badge redacted">redacted</span>`,
		"&lt;starttls xmlns=&#39;urn:ietf:params:xml:ns:xmpp-tls&#39;/&gt;",
		"&lt;proceed xmlns=&#39;urn:ietf:params:xml:ns:xmpp-tls&#39;/&gt;",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("transcript page lacks %s", want)
		}
	}
}

// TestStatusProfilesByCategory: the index lists the profiles under their
// categories, each category once, in lab.Categories order.
func TestStatusProfilesByCategory(t *testing.T) {
	f := newFixture(t)
	page := getOK(t, f.srv, "/", "text/html; charset=utf-8").body
	last := -1
	for _, c := range lab.Categories() {
		heading := `<dt class="category">` + c + `</dt>`
		i := strings.Index(page, heading)
		if i < 0 || strings.Count(page, heading) != 1 || i < last {
			t.Errorf("category %q: at %d (after %d), %d times", c, i, last, strings.Count(page, heading))
		}
		last = i
	}
}
