package lab_test

// The verdict on the pages: badge and reason on the index, every check
// with its result, reason and evidence links on the connection page, and
// the listener address on both (fixture in status_many_test.go).

import (
	"fmt"
	"strings"
	"testing"

	"jabberd/lab"
)

func TestStatusVerdictPages(t *testing.T) {
	f := newManyFixture(t, len(outcomes), lab.StatusOptions{})
	f.checkOutcomes(t)
	index := getOK(t, f.srv, "/", htmlType).body
	for i, id := range f.ids {
		tr, _ := f.rec.Get(id)
		s := tr.Summary()
		o := f.kind[i]

		// The index: verdict badge, the reason (short, whole in the
		// title), the listener and its address.
		r := row(t, index, id)
		badge := fmt.Sprintf(`<span class="verdict-badge %s`, s.Verdict)
		if s.Live {
			badge += ` provisional`
		}
		badge += fmt.Sprintf(`" data-verdict="%s">%s</span>`, s.Verdict, s.Verdict)
		for _, want := range []string{
			`<td class="verdict" title="` + htmlTemplateEscape(s.Reason) + `">` + badge,
			`<span class="reason">` + htmlTemplateEscape(shorten(s.Reason)) + `</span>`,
			`<td class="listener"><span class="listener-name">` + o.listener + `</span> <span class="local">` + o.local + `</span> <span class="label">run-1</span></td>`,
		} {
			if !strings.Contains(r, want) {
				t.Errorf("%s (%s): index row lacks %s:\n%s", id, o.name, want, r)
			}
		}

		// The connection page.
		page := getOK(t, f.srv, "/connections/"+id, htmlType).body
		verdict := between(t, page, `<section id="verdict"`, `</section>`)
		if !strings.Contains(verdict, badge) || !strings.Contains(verdict, `<span class="reason" id="verdict-reason">`) {
			t.Errorf("%s: verdict section lacks the badge %s or the reason:\n%s", id, badge, verdict)
		}
		for _, e := range s.Evidence {
			if !strings.Contains(between(t, verdict, `<span id="verdict-evidence">`, "</span>"), fmt.Sprintf(`<a class="evidence" href="#rec-%d">#%d</a>`, e, e)) {
				t.Errorf("%s: verdict evidence lacks a link to record %d", id, e)
			}
		}
		if len(s.Checks) == 0 && !strings.Contains(verdict, `<p id="checks" class="empty">`) {
			t.Errorf("%s: no checks, and the page does not say so", id)
		}
		for _, c := range s.Checks {
			cr := between(t, verdict, fmt.Sprintf(`<tr class="check" data-flag="%s" data-result="%s">`, c.Flag, c.Result), "</tr>")
			if !strings.Contains(cr, `<td class="result"><span class="verdict-badge `+c.Result+`">`+c.Result+`</span></td>`) ||
				!strings.Contains(cr, `<td class="reason">`+htmlTemplateEscape(c.Reason)+`</td>`) {
				t.Errorf("%s: check %s row lacks its result or reason:\n%s", id, c.Flag, cr)
			}
			if len(c.Evidence) == 0 {
				t.Errorf("%s: check %s without evidence", id, c.Flag)
			}
			for _, e := range c.Evidence {
				if !strings.Contains(cr, fmt.Sprintf(`<a class="evidence" href="#rec-%d">#%d</a>`, e, e)) {
					t.Errorf("%s: check %s lacks the evidence link #%d:\n%s", id, c.Flag, e, cr)
				}
				// The anchor exists and is marked as evidence.
				if !strings.Contains(page, fmt.Sprintf(`<tr id="rec-%d" class="rec `, e)) ||
					!strings.Contains(between(t, page, fmt.Sprintf(`<tr id="rec-%d" class="`, e), `"`), "evidence") {
					t.Errorf("%s: record %d has no anchor marked as evidence", id, e)
				}
			}
		}
		for _, want := range []string{`<dd class="local">` + o.local + `</dd>`, `<dd class="label">run-1</dd>`, `<dd class="listener">` + o.listener + `</dd>`} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: connection page lacks %s", id, want)
			}
		}
		if o.name == "cert-pass" && !strings.Contains(page, `<dd class="alert">certificate_expired</dd>`) {
			t.Errorf("%s: the client's alert is not shown", id)
		}
	}
}

// shorten is what the index shows of a reason (90 characters at most).
func shorten(s string) string {
	if r := []rune(s); len(r) > 90 {
		return strings.TrimSpace(string(r[:89])) + "…"
	}
	return s
}

// htmlTemplateEscape escapes text the way html/template does in text and
// attributes.
func htmlTemplateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}
