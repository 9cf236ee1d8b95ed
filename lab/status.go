package lab

import (
	"bytes"
	"embed"
	"encoding/json"
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
//	GET /                        live and recent connections, the profiles
//	GET /connections/{id}        one connection's transcript
//	GET /api/connections         {"connections": [Summary…]}
//	GET /api/connections/{id}    {"summary": Summary, "records": [Record…]}
//	GET /api/profiles            [{"name", "summary", "correct", …}]

//go:embed templates/*.html
var templateFS embed.FS

// contentSecurityPolicy forbids scripts, frames, forms and every fetch
// except the inline style sheet.
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"flagKind": flagKind,
	"table": func(id string, rows []Summary, empty string) connTable {
		return connTable{ID: id, Rows: rows, Empty: empty}
	},
	"pathID": url.PathEscape,
	"stamp":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000Z") },
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
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
}).ParseFS(templateFS, "templates/*.html"))

// ProfileInfo is a profile as GET /api/profiles shows it.
type ProfileInfo struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Correct string `json:"correct"`
	Source  string `json:"source"`
	IRC     bool   `json:"irc"`
	// PassIf and FailIf say what passes and what fails under the profile;
	// Pass and Fail are the flags it draws (the shared failures apply too).
	PassIf string   `json:"pass_if"`
	FailIf string   `json:"fail_if"`
	Pass   []string `json:"pass"`
	Fail   []string `json:"fail"`
}

// ConnectionList is the answer of GET /api/connections.
type ConnectionList struct {
	Connections []Summary `json:"connections"`
}

// ConnectionDetail is the answer of GET /api/connections/{id}.
type ConnectionDetail struct {
	Summary Summary  `json:"summary"`
	Records []Record `json:"records"`
}

// APIError is the body of an API error response.
type APIError struct {
	Error string `json:"error"`
}

func profileInfos() []ProfileInfo {
	ps := Profiles()
	out := make([]ProfileInfo, len(ps))
	for i, p := range ps {
		out[i] = ProfileInfo{Name: p.Name, Summary: p.Summary, Correct: p.Correct, Source: p.Source, IRC: p.IRC,
			PassIf: p.PassIf, FailIf: p.FailIf, Pass: nonNil(p.Pass), Fail: nonNil(append(slices.Clone(p.Fail), sharedFails...))}
	}
	return out
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
func StatusHandler(b *Recorder) http.Handler {
	s := &status{rec: b}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /connections/{id}", s.connection)
	mux.HandleFunc("GET /api/connections", s.apiConnections)
	mux.HandleFunc("GET /api/connections/{id}", s.apiConnection)
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
}

type indexPage struct {
	Transcripts bool
	Live        []Summary
	Recent      []Summary
	Profiles    []ProfileInfo
	Now         time.Time
}

// connTable is one table of connections on the index page.
type connTable struct {
	ID    string // the table's HTML id: "live" or "recent"
	Rows  []Summary
	Empty string // what the page says when there are no rows
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
}

type notFoundPage struct {
	What string
}

func (s *status) index(w http.ResponseWriter, r *http.Request) {
	p := indexPage{Transcripts: s.rec != nil, Profiles: profileInfos(), Now: time.Now()}
	for _, sum := range s.rec.List() {
		if sum.Live {
			p.Live = append(p.Live, sum)
		} else {
			p.Recent = append(p.Recent, sum)
		}
	}
	s.render(w, http.StatusOK, "index", p)
}

func (s *status) connection(w http.ResponseWriter, r *http.Request) {
	t, ok := s.rec.Get(r.PathValue("id"))
	if !ok {
		s.render(w, http.StatusNotFound, "notfound", notFoundPage{What: s.unknown(r.PathValue("id"))})
		return
	}
	sum, recs := t.Summary(), t.Records()
	p := connectionPage{Summary: sum, Records: make([]recordView, len(recs))}
	for i, rec := range recs {
		p.Records[i] = recordView{Record: rec, Started: sum.Started, NewPhase: i > 0 && rec.Phase != recs[i-1].Phase}
	}
	s.render(w, http.StatusOK, "connection", p)
}

func (s *status) apiConnections(w http.ResponseWriter, r *http.Request) {
	list := s.rec.List()
	if list == nil {
		list = []Summary{}
	}
	writeJSON(w, http.StatusOK, ConnectionList{Connections: list})
}

func (s *status) apiConnection(w http.ResponseWriter, r *http.Request) {
	t, ok := s.rec.Get(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, APIError{Error: s.unknown(r.PathValue("id"))})
		return
	}
	recs := t.Records()
	if recs == nil {
		recs = []Record{}
	}
	writeJSON(w, http.StatusOK, ConnectionDetail{Summary: t.Summary(), Records: recs})
}

func (s *status) apiProfiles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, profileInfos())
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

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}
