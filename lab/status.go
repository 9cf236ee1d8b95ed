package lab

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The status page: server-rendered HTML (no script, no automatic refresh:
// a reload shows the present state) and a JSON API for harnesses.
//
//	GET /                                      connections (filters, pages), the profiles
//	GET /connections/{id}                      one connection: verdict, checks, transcript
//	GET /scorecard                             verdict counts per profile, label, address
//	GET /api/connections                       ConnectionList (filters, limit, before)
//	GET /api/connections/{id}                  ConnectionDetail (?wait=30s: until it ends)
//	GET /api/connections/{id}/transcript.jsonl its transcript as JSON lines
//	GET /api/transcripts.jsonl                 the matching ones', one after another
//	GET /api/scorecard                         Scorecard (filters)
//	GET /api/profiles                          [ProfileInfo…]
//
// The filters are in status_filter.go, the scorecard in
// status_scorecard.go, the downloads and the wait in status_download.go.

//go:embed templates/*.html
var templateFS embed.FS

// contentSecurityPolicy forbids scripts, frames and every fetch except the
// inline style sheet; forms (the filters, plain GET) may go to the page
// itself only.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// shortReason is how much of a verdict's reason the index shows (the rest
// is in the cell's title and on the connection page).
const shortReason = 90

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"flagKind": flagKind,
	"pathID":   url.PathEscape,
	"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") },
	"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"since": func(start, t time.Time) string {
		return fmt.Sprintf("+%.3fs", t.Sub(start).Seconds())
	},
	"dirLabel": func(dir string) string {
		switch dir {
		case DirIn:
			return "C → S"
		case DirOut:
			return "S → C"
		}
		return "event"
	},
	"short": func(s string) string {
		if r := []rune(s); len(r) > shortReason {
			return strings.TrimSpace(string(r[:shortReason-1])) + "…"
		}
		return s
	},
	"scoreLink": scoreLink,
	"verdicts":  func() []string { return verdictNames },
	"has":       func(list []string, s string) bool { return slices.Contains(list, s) },
	"list":      func(s ...string) []string { return s },
	"form": func(action string, f filterView) any {
		return struct {
			Action string
			F      filterView
		}{action, f}
	},
	"scoreArgs": func(f filterView, t scoreTable, id string) any {
		return struct {
			Filter filterView
			Table  scoreTable
			ID     string
		}{f, t, id}
	},
}).ParseFS(templateFS, "templates/*.html"))

// StatusOptions are what the status page shows beside the recorder.
type StatusOptions struct {
	// Ports are the per-profile ports ([lab] profile_ports) by profile
	// name, with their bound addresses.
	Ports map[string][]PortInfo
}

// flagKind classifies a verdict flag for the page: "pass" (a client that
// resisted), "fail" (a client that was fooled) or "info".
func flagKind(flag string) string {
	if slices.Contains(sharedFails, flag) {
		return "fail"
	}
	for _, p := range profiles {
		switch {
		case slices.Contains(p.Pass, flag):
			return "pass"
		case slices.Contains(p.Fail, flag):
			return "fail"
		}
	}
	return "info"
}

// StatusHandler serves the status page and its JSON API for b. b may be
// nil (transcripts off): the page says so and the list is empty.
func StatusHandler(b *Recorder, opt StatusOptions) http.Handler {
	s := &status{rec: b, opt: opt}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /connections/{id}", s.connection)
	mux.HandleFunc("GET /scorecard", s.scorecardPage)
	mux.HandleFunc("GET /api/connections", s.apiConnections)
	mux.HandleFunc("GET /api/connections/{id}", s.apiConnection)
	mux.HandleFunc("GET /api/connections/{id}/transcript.jsonl", s.apiTranscript)
	mux.HandleFunc("GET /api/transcripts.jsonl", s.apiTranscripts)
	mux.HandleFunc("GET /api/scorecard", s.apiScorecard)
	mux.HandleFunc("GET /api/profiles", s.apiProfiles)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, APIError{Error: "no such endpoint: " + r.URL.Path})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.render(w, http.StatusNotFound, "notfound", notFoundPage{What: "No page at " + r.URL.Path + "."})
	})
	return withHeaders(mux)
}

// withHeaders sets the headers every answer carries and refuses every
// method but GET and HEAD.
func withHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			msg := "method " + r.Method + " not allowed: the status page is read-only (GET, HEAD)"
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeJSON(w, http.StatusMethodNotAllowed, APIError{Error: msg})
				return
			}
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprintln(w, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type status struct {
	rec *Recorder
	opt StatusOptions
}

// filterView is the filter form of the index and the scorecard: the values
// as given, and the choices.
type filterView struct {
	f                                               connFilter
	Profile, Listener, Verdict, Label, Since, Limit string
	Profiles, Verdicts, Listeners                   []string
	// Paged: the form has the page length (the index; not the scorecard).
	Paged bool
	// Active: some filter is set.
	Active bool
}

// filterView makes the form of a request's filter; the addresses of known
// (and the per-profile ports) are offered for the listener.
func (s *status) filterView(q url.Values, f connFilter, paged bool, known []Summary) filterView {
	join := func(k string) string { return strings.Join(values(q, k), ",") }
	v := filterView{f: f, Profile: join("profile"), Listener: join("listener"), Verdict: join("verdict"), Label: join("label"),
		Since: join("since"), Profiles: profileNames(), Verdicts: verdictNames, Paged: paged}
	if paged {
		v.Limit = strings.TrimSpace(q.Get("limit"))
	}
	v.Active = v.Profile != "" || v.Listener != "" || v.Verdict != "" || v.Label != "" || v.Since != ""
	v.Listeners = slices.Clone(listenerNames)
	for _, p := range Profiles() {
		for _, port := range s.opt.Ports[p.Name] {
			v.Listeners = append(v.Listeners, port.Address)
		}
	}
	for _, sum := range known {
		if sum.Local != "" && !slices.Contains(v.Listeners, sum.Local) {
			v.Listeners = append(v.Listeners, sum.Local)
		}
	}
	return v
}

type indexPage struct {
	Transcripts bool
	Filter      filterView
	Error       string // a filter or page parameter the page cannot read
	Rows        []Summary
	Total, Live int    // matching connections, and how many of them are live
	First       bool   // the page starts with the newest match
	Next        string // the following page's link, "" on the last
	Newest      string // the first page's link
	JSON, JSONL string // the same selection as JSON, and its transcripts
	Scorecard   string
	Profiles    []ProfileInfo
	Now         time.Time
}

type connectionPage struct {
	Summary Summary
	Records []recordView
}

// recordView is a record with what the page shows around it.
type recordView struct {
	Record
	Started time.Time // the connection's start, for relative times
	// NewPhase is set on the first record of a phase other than the one
	// before it.
	NewPhase bool
	// Evidence: the verdict or a check rests on this record.
	Evidence bool
}

type notFoundPage struct {
	What string
}

func (s *status) index(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := time.Now()
	p := indexPage{Transcripts: s.rec != nil, Profiles: profileInfos(s.opt.Ports), Now: now}
	err := checkParams(q, listParams...)
	var f connFilter
	if err == nil {
		f, err = parseFilter(q, now)
	}
	var pg paging
	if err == nil {
		pg, err = parsePaging(q, defaultLimit)
	}
	var next string
	var sel selection
	if err == nil {
		sel = s.selectConns(f)
		p.Rows, next, err = sel.page(pg)
		p.Total = len(sel.matched)
		for _, sum := range sel.matched {
			if sum.Live {
				p.Live++
			}
		}
	}
	p.Filter = s.filterView(q, f, true, sel.all)
	if err != nil {
		p.Error, p.Rows, p.Total, p.Live = err.Error(), nil, 0, 0
		s.render(w, http.StatusBadRequest, "index", p)
		return
	}
	limit := strings.TrimSpace(q.Get("limit"))
	p.First = pg.before == ""
	p.Newest = f.link("/", "limit", limit)
	if next != "" {
		p.Next = f.link("/", "limit", limit, "before", next)
	}
	p.JSON = f.link("/api/connections", "limit", limit, "before", pg.before)
	p.JSONL = f.link("/api/transcripts.jsonl")
	p.Scorecard = f.link("/scorecard")
	s.render(w, http.StatusOK, "index", p)
}

func (s *status) connection(w http.ResponseWriter, r *http.Request) {
	t, ok := s.rec.Get(r.PathValue("id"))
	if !ok {
		s.render(w, http.StatusNotFound, "notfound", notFoundPage{What: s.unknown(r.PathValue("id"))})
		return
	}
	sum, recs := t.Summary(), t.Records()
	evidence := map[int]bool{}
	for _, e := range sum.Evidence {
		evidence[e] = true
	}
	for _, c := range sum.Checks {
		for _, e := range c.Evidence {
			evidence[e] = true
		}
	}
	p := connectionPage{Summary: sum, Records: make([]recordView, len(recs))}
	for i, rec := range recs {
		p.Records[i] = recordView{Record: rec, Started: sum.Started, NewPhase: i > 0 && rec.Phase != recs[i-1].Phase, Evidence: evidence[rec.Seq]}
	}
	s.render(w, http.StatusOK, "connection", p)
}

// unknown says why there is no connection id.
func (s *status) unknown(id string) string {
	if s.rec == nil {
		return fmt.Sprintf("no connection %q: transcripts are off ([lab] transcripts = 0)", id)
	}
	return fmt.Sprintf("no connection %q among the live and the recent ones", id)
}

// render executes a page into a buffer first, so that a template error is
// a clean 500 and not half a page.
func (s *status) render(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}
