package lab_test

// The status handler as an HTTP server, for the API and the pages alike:
// unknown paths, refused methods, security headers, a nil book
// (transcripts off), and reads while a transcript is written (fixture in
// status_test.go).

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/lab"
)

func TestStatusNotFound(t *testing.T) {
	f := newFixture(t)
	r := do(t, f.srv, http.MethodGet, "/api/connections/nope")
	if r.code != http.StatusNotFound || r.header.Get("Content-Type") != jsonType {
		t.Fatalf("unknown id: status %d, Content-Type %q, want 404 JSON: %s", r.code, r.header.Get("Content-Type"), r.body)
	}
	if e := decode[lab.APIError](t, r, "404"); !strings.Contains(e.Error, `"nope"`) {
		t.Errorf("404 error %q does not name the id", e.Error)
	}
	r = do(t, f.srv, http.MethodGet, "/connections/nope")
	if r.code != http.StatusNotFound || r.header.Get("Content-Type") != htmlType || !strings.Contains(r.body, "&#34;nope&#34;") {
		t.Errorf("unknown transcript page: status %d, Content-Type %q, body:\n%s", r.code, r.header.Get("Content-Type"), r.body)
	}
	for _, path := range []string{"/nothing", "/connections/", "/connections/c1/more"} {
		if r := do(t, f.srv, http.MethodGet, path); r.code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, r.code)
		}
	}
	if r := do(t, f.srv, http.MethodGet, "/api/nothing"); r.code != http.StatusNotFound || r.header.Get("Content-Type") != jsonType {
		t.Errorf("GET /api/nothing: status %d, Content-Type %q, want a JSON 404", r.code, r.header.Get("Content-Type"))
	}
}

func TestStatusMethods(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{"/", "/connections/c1", "/scorecard", "/api/connections", "/api/connections/c1", "/api/profiles",
		"/api/scorecard", "/api/connections/c1/transcript.jsonl", "/api/transcripts.jsonl"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
			r := do(t, f.srv, m, path)
			if r.code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", m, path, r.code)
				continue
			}
			if allow := r.header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q", m, path, allow)
			}
			if strings.HasPrefix(path, "/api/") {
				if e := decode[lab.APIError](t, r, m+" "+path); !strings.Contains(e.Error, m) {
					t.Errorf("%s %s: error %q", m, path, e.Error)
				}
			}
		}
		r := do(t, f.srv, http.MethodHead, path)
		if r.code != http.StatusOK || r.body != "" || r.header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: status %d, Content-Type %q, body %q: want 200, a type, no body", path, r.code, r.header.Get("Content-Type"), r.body)
		}
	}
	// The connection still exists: the refused methods did nothing.
	if _, ok := f.book.Get("c1"); !ok {
		t.Error("c1 gone after refused requests")
	}
}

func TestStatusHeaders(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ method, path, ctype string }{
		{"GET", "/", htmlType},
		{"GET", "/connections/c1", htmlType},
		{"GET", "/connections/nope", htmlType},
		{"GET", "/api/connections", jsonType},
		{"GET", "/api/connections/c1", jsonType},
		{"GET", "/api/connections/nope", jsonType},
		{"GET", "/api/profiles", jsonType},
		{"GET", "/scorecard", htmlType},
		{"GET", "/scorecard?verdict=nope", htmlType},
		{"GET", "/?verdict=nope", htmlType},
		{"GET", "/api/scorecard", jsonType},
		{"GET", "/api/connections?verdict=nope", jsonType},
		{"GET", "/api/connections/c1/transcript.jsonl", "application/x-ndjson"},
		{"GET", "/api/transcripts.jsonl", "application/x-ndjson"},
		{"POST", "/", "text/plain; charset=utf-8"},
		{"POST", "/api/connections", jsonType},
	} {
		r := do(t, f.srv, c.method, c.path)
		h := r.header
		if got := h.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, got, c.ctype)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", c.method, c.path, got)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'unsafe-inline'") || strings.Contains(csp, "script-src") {
			t.Errorf("%s %s: Content-Security-Policy %q does not forbid scripts", c.method, c.path, csp)
		}
		// The filter form (a GET to the page itself) may be sent, and
		// nowhere else.
		if !strings.Contains(csp, "form-action 'self'") || strings.Count(csp, "form-action") != 1 {
			t.Errorf("%s %s: Content-Security-Policy %q: want form-action 'self'", c.method, c.path, csp)
		}
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store (a reload must show the present)", c.method, c.path, got)
		}
	}
}

// TestStatusTranscriptsOff: a nil book still serves a page, saying so, and
// an empty list.
func TestStatusTranscriptsOff(t *testing.T) {
	book, err := lab.NewRecorder(lab.Options{Keep: 0}, zerolog.Nop())
	if err != nil || book != nil {
		t.Fatalf("NewRecorder(Keep 0) = %v, %v; want nil, nil", book, err)
	}
	srv := httptest.NewServer(lab.StatusHandler(book, lab.StatusOptions{}))
	defer srv.Close()
	page := getOK(t, srv, "/", htmlType).body
	if !strings.Contains(page, `id="transcripts-off"`) || !strings.Contains(page, "Transcripts are off") {
		t.Errorf("page does not say transcripts are off:\n%s", page)
	}
	if !strings.Contains(page, `<dt id="profile-strip-starttls">`) {
		t.Errorf("page without transcripts does not list the profiles")
	}
	r := getOK(t, srv, "/api/connections", jsonType)
	if got := strings.Join(strings.Fields(r.body), ""); got != `{"connections":[],"total":0}` {
		t.Errorf("/api/connections without transcripts = %s, want {\"connections\": [], \"total\": 0}", r.body)
	}
	if r := do(t, srv, http.MethodGet, "/api/connections/c1"); r.code != http.StatusNotFound || !strings.Contains(r.body, "transcripts are off") {
		t.Errorf("/api/connections/c1 without transcripts: %d %s", r.code, r.body)
	}
	getOK(t, srv, "/api/profiles", jsonType)
	if r := getOK(t, srv, "/api/transcripts.jsonl", "application/x-ndjson"); r.body != "" {
		t.Errorf("/api/transcripts.jsonl without transcripts = %q, want nothing", r.body)
	}
	sc := decode[lab.Scorecard](t, getOK(t, srv, "/api/scorecard", jsonType), "scorecard")
	if sc.Total.Total() != 0 || len(sc.Profiles) != len(lab.Profiles())+1 || sc.Groups == nil || len(sc.Groups) != 0 {
		t.Errorf("/api/scorecard without transcripts = %+v, want every profile at zero and no group", sc)
	}
	if page := getOK(t, srv, "/scorecard", htmlType).body; !strings.Contains(page, `id="transcripts-off"`) {
		t.Errorf("/scorecard does not say transcripts are off")
	}
	if r := do(t, srv, http.MethodGet, "/api/connections/c1?wait=1m"); r.code != http.StatusNotFound {
		t.Errorf("?wait without transcripts: %d, want 404 at once", r.code)
	}
}

// TestStatusConcurrent reads the pages while a connection writes its
// transcript (run with -race).
func TestStatusConcurrent(t *testing.T) {
	f := newFixture(t)
	tr := f.book.Start("busy", "xmpp", "127.0.0.1:40009", "127.0.0.1")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 300 {
			tr.In(fmt.Sprintf("<presence id='%d'/>", i), 20, false, lab.Input{Kind: "element"})
			tr.Out([]byte("<presence/>"), false)
			if i == 50 {
				tr.TLSEstablished("TLS 1.3", "TLS_AES_256_GCM_SHA384", "localhost", "none")
			}
		}
		tr.End("done")
	}()
	for range 10 {
		getOK(t, f.srv, "/", htmlType)
		getOK(t, f.srv, "/connections/busy", htmlType)
		getOK(t, f.srv, "/api/connections/busy", jsonType)
	}
	wg.Wait()
	d := decode[lab.ConnectionDetail](t, getOK(t, f.srv, "/api/connections/busy", jsonType), "busy")
	if d.Summary.Live || d.Summary.CloseReason != "done" || len(d.Records) < 3 {
		t.Errorf("busy after End: %+v with %d records", d.Summary, len(d.Records))
	}
}
