package lab_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"jabberd/lab"
)

// The status page over a real loopback socket (httptest.NewServer) with a
// real Book fed the way a connection feeds it.

const (
	hostileData = "<message><body><script>alert(1)</script></body></message>"
	hostileSNI  = `"><script>alert(2)</script>.localhost`
	tls13       = "TLS 1.3 TLS_AES_128_GCM_SHA256"
)

// fixture is a book with three connections:
//
//	c1 ended: rfc6120 stream under sasl-before-tls (chosen by a username
//	   tag), PLAIN credentials in plaintext, then STARTTLS, TLS 1.3,
//	   SCRAM login, a stanza with a script in it, closed;
//	c2 live: IRC, plaintext only;
//	c3 live: legacy stream whose client sent a hostile SNI.
type fixture struct {
	book *lab.Book
	srv  *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	book, err := lab.NewBook(lab.Options{Keep: 10}, zerolog.Nop())
	if err != nil || book == nil {
		t.Fatalf("NewBook: %v, %v", book, err)
	}

	c1 := book.Start("c1", "xmpp", "127.0.0.1:40001", "127.0.0.1")
	c1.SetDialect("rfc6120")
	p, _ := lab.Lookup("sasl-before-tls")
	c1.Choose(p, lab.ByUsername)
	c1.In("<stream:stream to='localhost' version='1.0'>", 120, false, lab.Input{Kind: "header"})
	c1.Out([]byte("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><mechanisms><mechanism>PLAIN</mechanism></mechanisms></stream:features>"), false)
	c1.In("<auth mechanism='PLAIN'>[redacted]</auth>", 80, true, lab.Input{Kind: "element", Credentials: true, Mechanism: "PLAIN"})
	c1.Out([]byte("<failure><encryption-required/></failure>"), false)
	c1.In("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", 51, false, lab.Input{Kind: "element", StartTLS: true})
	c1.Out([]byte("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), false)
	c1.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "localhost", "none")
	c1.Event("stream restarted")
	c1.Auth("SCRAM-SHA-256", "alice@localhost", true, "")
	c1.In(hostileData, len(hostileData), false, lab.Input{Kind: "element"})
	c1.Flag("discarded-injected-data") // a pass flag, for the page's classes
	c1.Flag("custom-note")
	c1.End("client closed the stream")

	c2 := book.Start("c2", "irc", "127.0.0.1:40002", "127.0.0.1")
	c2.SetDialect("irc")
	c2.In("NICK bob", 10, false, lab.Input{Kind: "line"})

	c3 := book.Start("c3", "xmpp-direct", "127.0.0.1:40003", "127.0.0.1")
	c3.SetDialect("legacy")
	c3.TLSEstablished("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", hostileSNI, "CN=mallory (not verified)")

	srv := httptest.NewServer(lab.StatusHandler(book))
	t.Cleanup(srv.Close)
	return &fixture{book: book, srv: srv}
}

type response struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, srv *httptest.Server, method, path string) response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return response{code: res.StatusCode, header: res.Header, body: string(b)}
}

// getOK fetches path and checks the status and the content type.
func getOK(t *testing.T, srv *httptest.Server, path, contentType string) response {
	t.Helper()
	r := do(t, srv, http.MethodGet, path)
	if r.code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200:\n%s", path, r.code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != contentType {
		t.Errorf("GET %s: Content-Type %q, want %q", path, ct, contentType)
	}
	return r
}

func decode[T any](t *testing.T, r response, what string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: decoding %q: %v", what, r.body, err)
	}
	return v
}

const (
	htmlType = "text/html; charset=utf-8"
	jsonType = "application/json"
)

func TestStatusAPIConnections(t *testing.T) {
	f := newFixture(t)
	r := getOK(t, f.srv, "/api/connections", jsonType)
	list := decode[lab.ConnectionList](t, r, "/api/connections")
	ids := make([]string, len(list.Connections))
	for i, s := range list.Connections {
		ids[i] = s.ID
	}
	// Live first, newest first (c3 started after c2), then the recent one.
	if want := []string{"c3", "c2", "c1"}; !slices.Equal(ids, want) {
		t.Fatalf("connection ids %q, want %q", ids, want)
	}
	c1, c2 := list.Connections[2], list.Connections[1]
	checks := []struct{ field, got, want string }{
		{"listener", c1.Listener, "xmpp"},
		{"remote", c1.Remote, "127.0.0.1:40001"},
		{"profile", c1.Profile, "sasl-before-tls"},
		{"selected_by", c1.SelectedBy, lab.ByUsername},
		{"dialect", c1.Dialect, "rfc6120"},
		{"tls", c1.TLS, tls13},
		{"sni", c1.SNI, "localhost"},
		{"client_cert", c1.ClientCert, "none"},
		{"mechanism", c1.Mechanism, "SCRAM-SHA-256"},
		{"identity", c1.Identity, "alice@localhost"},
		{"close_reason", c1.CloseReason, "client closed the stream"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("c1 %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if c1.Live || c1.Ended.IsZero() || c1.Started.IsZero() {
		t.Errorf("c1 live=%v started=%v ended=%v: want an ended connection with both times", c1.Live, c1.Started, c1.Ended)
	}
	if wantFlags := []string{lab.FlagPlaintextCredentials, "discarded-injected-data", "custom-note"}; !slices.Equal(c1.Flags, wantFlags) {
		t.Errorf("c1 flags %q, want %q", c1.Flags, wantFlags)
	}
	if c1.BytesIn != int64(120+80+51+len(hostileData)) {
		t.Errorf("c1 bytes_in = %d", c1.BytesIn)
	}
	if !c2.Live || c2.Listener != "irc" || c2.TLS != "none" || c2.Dialect != "irc" || c2.Profile != "" || c2.SelectedBy != lab.ByListener {
		t.Errorf("c2 = %+v, want a live plaintext IRC connection with the standard profile", c2)
	}
	// Flags is a list even when empty, never null.
	var raw struct {
		Connections []map[string]json.RawMessage `json:"connections"`
	}
	if err := json.Unmarshal([]byte(r.body), &raw); err != nil {
		t.Fatal(err)
	}
	if got := string(raw.Connections[1]["flags"]); got != "[]" {
		t.Errorf("c2 flags encoded as %s, want []", got)
	}
}

func TestStatusAPIConnection(t *testing.T) {
	f := newFixture(t)
	r := getOK(t, f.srv, "/api/connections/c1", jsonType)
	d := decode[lab.ConnectionDetail](t, r, "/api/connections/c1")
	if d.Summary.ID != "c1" || d.Summary.TLS != tls13 {
		t.Errorf("summary %+v, want c1 over %s", d.Summary, tls13)
	}
	t1, _ := f.book.Get("c1")
	if want := t1.Records(); len(d.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(d.Records), len(want))
	}
	find := func(dir, sub string) *lab.Record {
		for i, rec := range d.Records {
			if rec.Dir == dir && strings.Contains(rec.Data, sub) {
				return &d.Records[i]
			}
		}
		t.Fatalf("no %s record containing %q in %+v", dir, sub, d.Records)
		return nil
	}
	for i, rec := range d.Records {
		if rec.Seq != i+1 || rec.Time.IsZero() {
			t.Errorf("record %d: seq %d time %v", i, rec.Seq, rec.Time)
		}
	}
	starttls := find(lab.DirIn, "<starttls")
	if starttls.Phase != lab.PhasePlaintext || starttls.Offset != 200 || starttls.Len != 51 {
		t.Errorf("starttls record %+v: want plaintext, offset 200, len 51", starttls)
	}
	if proceed := find(lab.DirOut, "<proceed"); proceed.Phase != lab.PhasePlaintext {
		t.Errorf("proceed record %+v: want the plaintext phase", proceed)
	}
	if auth := find(lab.DirIn, "<auth"); !auth.Redacted {
		t.Errorf("auth record %+v: want redacted", auth)
	}
	if ev := find(lab.DirEvent, "TLS established"); ev.Phase != lab.PhaseTLS {
		t.Errorf("TLS event %+v: want the tls phase", ev)
	}
	if h := find(lab.DirIn, "alert(1)"); h.Data != hostileData || h.Phase != lab.PhaseAuthenticated {
		t.Errorf("hostile record %+v: want its data verbatim in the authenticated phase", h)
	}
	find(lab.DirEvent, "verdict: "+lab.FlagPlaintextCredentials)
	// JSON escapes markup; the raw body never carries a live tag.
	if strings.Contains(r.body, "<script>") {
		t.Errorf("JSON body carries a raw <script>: %s", r.body)
	}
}

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
	for _, path := range []string{"/", "/connections/c1", "/api/connections", "/api/connections/c1", "/api/profiles"} {
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
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store (a reload must show the present)", c.method, c.path, got)
		}
	}
}

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
		`<td class="listener">xmpp</td>`,
		`<td class="remote">127.0.0.1:40001</td>`,
		`<span class="profile-name">sasl-before-tls</span> <span class="by">by username</span>`,
		`<td class="dialect">rfc6120</td>`,
		`<td class="tls">` + tls13 + `</td>`,
		`<td class="sni">localhost</td>`,
		`<td class="client-cert">none</td>`,
		`<td class="mechanism">SCRAM-SHA-256</td>`,
		`<td class="identity">alice@localhost</td>`,
		`<span class="flag fail" data-flag="plaintext-credentials">plaintext-credentials</span>`,
		`<span class="flag pass" data-flag="discarded-injected-data">discarded-injected-data</span>`,
		`<span class="flag info" data-flag="custom-note">custom-note</span>`,
		`<td class="close-reason">client closed the stream</td>`,
		`<time datetime="`,
	} {
		if !strings.Contains(r1, want) {
			t.Errorf("row conn-c1 lacks %s:\n%s", want, r1)
		}
	}
	r2 := row(t, page, "c2")
	for _, want := range []string{`<td class="listener">irc</td>`, `<span class="profile-name">standard</span>`, `<span class="badge live">live</span>`, `<td class="tls">none</td>`} {
		if !strings.Contains(r2, want) {
			t.Errorf("row conn-c2 lacks %s:\n%s", want, r2)
		}
	}
	if strings.Contains(r2, "data-flag") {
		t.Errorf("row conn-c2 shows flags it does not have:\n%s", r2)
	}
	// c2 and c3 in the live table, c1 in the recent one.
	live, recent := strings.Index(page, `<table id="live">`), strings.Index(page, `<table id="recent">`)
	i1, i2, i3 := strings.Index(page, `id="conn-c1"`), strings.Index(page, `id="conn-c2"`), strings.Index(page, `id="conn-c3"`)
	if live < 0 || recent < 0 || !(live < i3 && i3 < i2 && i2 < recent && recent < i1) {
		t.Errorf("tables and rows out of place: live %d, c3 %d, c2 %d, recent %d, c1 %d", live, i3, i2, recent, i1)
	}
	for _, p := range lab.Profiles() {
		if !strings.Contains(page, `<dt id="profile-`+p.Name+`">`+p.Name+`</dt>`) {
			t.Errorf("profile %s not listed", p.Name)
		}
	}
	for _, want := range []string{`href="/api/connections"`, `href="/api/profiles"`, "/api/connections/{id}"} {
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
	if r := row(t, page, "c2"); !strings.Contains(r, `<td class="close-reason">ping timeout</td>`) {
		t.Errorf("after End, row conn-c2 lacks its close reason:\n%s", r)
	}
}

func TestStatusEscaping(t *testing.T) {
	f := newFixture(t)
	page := getOK(t, f.srv, "/connections/c1", htmlType).body
	if !strings.Contains(page, "<pre>&lt;message&gt;&lt;body&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;/body&gt;&lt;/message&gt;</pre>") {
		t.Errorf("transcript page does not show the hostile record escaped:\n%s", page)
	}
	index := getOK(t, f.srv, "/", htmlType).body
	r3 := row(t, index, "c3")
	if !strings.Contains(r3, `<td class="sni">&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;.localhost</td>`) {
		t.Errorf("row conn-c3 does not show the hostile SNI escaped:\n%s", r3)
	}
	for name, p := range map[string]string{"transcript": page, "index": index} {
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

func TestStatusProfiles(t *testing.T) {
	f := newFixture(t)
	got := decode[[]lab.ProfileInfo](t, getOK(t, f.srv, "/api/profiles", jsonType), "/api/profiles")
	all := lab.Profiles()
	if len(got) != len(all) {
		t.Fatalf("%d profiles, want %d", len(got), len(all))
	}
	for i, p := range all {
		want := lab.ProfileInfo{Name: p.Name, Summary: p.Summary, Correct: p.Correct, Source: p.Source, IRC: p.IRC, Pass: p.Pass, Fail: p.Fail}
		if got[i] != want {
			t.Errorf("profile %d = %+v, want %+v", i, got[i], want)
		}
	}
	strip := got[0]
	if strip.Name != "strip-starttls" || !strip.IRC || strip.Pass != "aborted-on-strip" || strip.Fail != "continued-without-tls" || strip.Summary == "" || strip.Correct == "" || strip.Source == "" {
		t.Errorf("strip-starttls = %+v", strip)
	}
}

// TestStatusTranscriptsOff: a nil book still serves a page, saying so, and
// an empty list.
func TestStatusTranscriptsOff(t *testing.T) {
	book, err := lab.NewBook(lab.Options{Keep: 0}, zerolog.Nop())
	if err != nil || book != nil {
		t.Fatalf("NewBook(Keep 0) = %v, %v; want nil, nil", book, err)
	}
	srv := httptest.NewServer(lab.StatusHandler(book))
	defer srv.Close()
	page := getOK(t, srv, "/", htmlType).body
	if !strings.Contains(page, `id="transcripts-off"`) || !strings.Contains(page, "Transcripts are off") {
		t.Errorf("page does not say transcripts are off:\n%s", page)
	}
	if !strings.Contains(page, `<dt id="profile-strip-starttls">`) {
		t.Errorf("page without transcripts does not list the profiles")
	}
	r := getOK(t, srv, "/api/connections", jsonType)
	if got := strings.Join(strings.Fields(r.body), ""); got != `{"connections":[]}` {
		t.Errorf("/api/connections without transcripts = %s, want {\"connections\": []}", r.body)
	}
	if r := do(t, srv, http.MethodGet, "/api/connections/c1"); r.code != http.StatusNotFound || !strings.Contains(r.body, "transcripts are off") {
		t.Errorf("/api/connections/c1 without transcripts: %d %s", r.code, r.body)
	}
	getOK(t, srv, "/api/profiles", jsonType)
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
