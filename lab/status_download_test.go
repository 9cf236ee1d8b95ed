package lab_test

// Transcript downloads as JSON lines: one connection's, and every matching
// connection's (fixtures in status_test.go and status_many_test.go).

import (
	"bufio"
	"encoding/json"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"

	"jabberd/lab"
)

const jsonlType = "application/x-ndjson"

// jsonlTranscript is one transcript read back from JSON lines.
type jsonlTranscript struct {
	records []lab.Record
	summary lab.Summary
}

// parseJSONL reads transcripts line by line: records, then the summary
// that closes them.
func parseJSONL(t *testing.T, body string) []jsonlTranscript {
	t.Helper()
	var out []jsonlTranscript
	var cur jsonlTranscript
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(line, &probe); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", n, err, line)
		}
		if s, ok := probe["summary"]; ok {
			if len(probe) != 1 {
				t.Fatalf("line %d: a summary line with more: %s", n, line)
			}
			dec := json.NewDecoder(strings.NewReader(string(s)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&cur.summary); err != nil {
				t.Fatalf("line %d: summary: %v", n, err)
			}
			out = append(out, cur)
			cur = jsonlTranscript{}
			continue
		}
		var rec lab.Record
		dec := json.NewDecoder(strings.NewReader(string(line)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("line %d: record: %v: %s", n, err, line)
		}
		cur.records = append(cur.records, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cur.records) > 0 {
		t.Fatalf("%d records after the last summary", len(cur.records))
	}
	if !strings.HasSuffix(body, "\n") && body != "" {
		t.Errorf("the body does not end with a newline")
	}
	return out
}

func checkAttachment(t *testing.T, r response, filename string) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != jsonlType {
		t.Errorf("Content-Type %q, want %q", ct, jsonlType)
	}
	disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != filename {
		t.Errorf("Content-Disposition %q (%v), want attachment; filename=%q", r.header.Get("Content-Disposition"), err, filename)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("download without nosniff")
	}
}

func TestStatusTranscriptJSONL(t *testing.T) {
	f := newFixture(t)
	r := getOK(t, f.srv, "/api/connections/c1/transcript.jsonl", jsonlType)
	checkAttachment(t, r, "c1.jsonl")
	ts := parseJSONL(t, r.body)
	if len(ts) != 1 {
		t.Fatalf("%d transcripts, want 1", len(ts))
	}
	tr, _ := f.book.Get("c1")
	if r.body != string(tr.MarshalJSONL()) {
		t.Errorf("body is not MarshalJSONL:\n%s", r.body)
	}
	got := ts[0]
	if got.summary.ID != "c1" || got.summary.Verdict != lab.Fail || len(got.records) != len(tr.Records()) {
		t.Errorf("transcript: summary %+v with %d records", got.summary, len(got.records))
	}
	for i, rec := range got.records {
		if rec.Seq != i+1 {
			t.Errorf("record %d has seq %d", i, rec.Seq)
		}
	}
	// A live connection downloads as it is so far.
	live := parseJSONL(t, getOK(t, f.srv, "/api/connections/c2/transcript.jsonl", jsonlType).body)
	if len(live) != 1 || !live[0].summary.Live {
		t.Errorf("live c2: %+v", live)
	}
	if r := do(t, f.srv, http.MethodGet, "/api/connections/nope/transcript.jsonl"); r.code != http.StatusNotFound || r.header.Get("Content-Type") != jsonType {
		t.Errorf("unknown id: %d %q, want a JSON 404", r.code, r.header.Get("Content-Type"))
	}
	// The connection page links it.
	page := getOK(t, f.srv, "/connections/c1", htmlType).body
	if !strings.Contains(page, `<a id="download" href="/api/connections/c1/transcript.jsonl" download>`) {
		t.Errorf("connection page does not link its transcript download")
	}
}

func TestStatusTranscriptsJSONL(t *testing.T) {
	f := newManyFixture(t, 25, lab.StatusOptions{})
	for _, c := range []struct {
		query string
		keep  func(outcome) bool
	}{
		{"", func(outcome) bool { return true }},
		{"?verdict=fail&listener=xmpp", func(o outcome) bool { return o.verdict == lab.Fail && o.listener == "xmpp" }},
		{"?profile=cert-expired", func(o outcome) bool { return o.profile == "cert-expired" }},
		{"?label=none", func(outcome) bool { return false }},
	} {
		r := getOK(t, f.srv, "/api/transcripts.jsonl"+c.query, jsonlType)
		checkAttachment(t, r, "transcripts.jsonl")
		ts := parseJSONL(t, r.body)
		var ids []string
		for _, tr := range ts {
			ids = append(ids, tr.summary.ID)
			full, _ := f.rec.Get(tr.summary.ID)
			if len(tr.records) != len(full.Records()) || tr.records[0].Seq != 1 || !strings.HasPrefix(tr.records[0].Data, "connected from") {
				t.Errorf("%s%s: transcript %s has %d records, want its %d from the first", "/api/transcripts.jsonl", c.query, tr.summary.ID, len(tr.records), len(full.Records()))
			}
		}
		if want := f.expect(c.keep); !slices.Equal(ids, want) {
			t.Errorf("/api/transcripts.jsonl%s: %v, want %v", c.query, ids, want)
		}
	}
	// A page of them, as the list pages.
	ts := parseJSONL(t, getOK(t, f.srv, "/api/transcripts.jsonl?limit=3&before="+f.ids[20], jsonlType).body)
	var ids []string
	for _, tr := range ts {
		ids = append(ids, tr.summary.ID)
	}
	if want := []string{f.ids[19], f.ids[18], f.ids[17]}; !slices.Equal(ids, want) {
		t.Errorf("limit=3&before=%s: %v, want %v", f.ids[20], ids, want)
	}
	// The index links the download under its filter.
	page := getOK(t, f.srv, "/?verdict=pass", htmlType).body
	if !strings.Contains(page, `<a id="download" href="/api/transcripts.jsonl?verdict=pass" download>`) {
		t.Errorf("index does not link the download of its selection")
	}
}
