package lab

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// The status page's JSON API: what it answers and how.

// PortInfo is one per-profile port of a profile.
type PortInfo struct {
	Protocol string `json:"protocol"` // "xmpp" or "irc"
	Address  string `json:"address"`
}

// ProfileInfo is a profile as GET /api/profiles shows it.
type ProfileInfo struct {
	Name    string `json:"name"`
	Summary string `json:"summary"`
	Correct string `json:"correct"`
	Source  string `json:"source"`
	// Category groups the profile (lab.Categories).
	Category string `json:"category"`
	IRC      bool   `json:"irc"`
	// PassIf and FailIf say what passes and what fails under the profile;
	// Pass and Fail are the flags it draws (the shared failures apply too).
	PassIf string   `json:"pass_if"`
	FailIf string   `json:"fail_if"`
	Pass   []string `json:"pass"`
	Fail   []string `json:"fail"`
	// Ports are the profile's per-profile ports, when [lab] profile_ports
	// opens them.
	Ports []PortInfo `json:"ports,omitempty"`
}

// ConnectionList is the answer of GET /api/connections: one page of the
// matching connections, newest first.
type ConnectionList struct {
	Connections []Summary `json:"connections"`
	// Total is how many connections match the filters, on every page.
	Total int `json:"total"`
	// Next is the before= of the following page ("" on the last one).
	Next string `json:"next,omitempty"`
}

// ConnectionDetail is the answer of GET /api/connections/{id}.
type ConnectionDetail struct {
	// Live is Summary.Live: after ?wait=, true means the wait passed (or
	// the request ended) before the connection did.
	Live    bool     `json:"live"`
	Summary Summary  `json:"summary"`
	Records []Record `json:"records"`
}

// APIError is the body of an API error response.
type APIError struct {
	Error string `json:"error"`
}

func profileInfos(ports map[string][]PortInfo) []ProfileInfo {
	ps := Profiles()
	out := make([]ProfileInfo, len(ps))
	for i, p := range ps {
		out[i] = ProfileInfo{Name: p.Name, Summary: p.Summary, Correct: p.Correct, Source: p.Source, Category: p.Category, IRC: p.IRC,
			PassIf: p.PassIf, FailIf: p.FailIf, Pass: nonNil(p.Pass), Fail: nonNil(append(slices.Clone(p.Fail), sharedFails...)),
			Ports: slices.Clone(ports[p.Name])}
	}
	return out
}

func (s *status) apiConnections(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := checkParams(q, listParams...)
	var f connFilter
	if err == nil {
		f, err = parseFilter(q, time.Now())
	}
	var pg paging
	if err == nil {
		pg, err = parsePaging(q, defaultLimit)
	}
	var list ConnectionList
	if err == nil {
		sel := s.selectConns(f)
		list.Connections, list.Next, err = sel.page(pg)
		list.Total = len(sel.matched)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	list.Connections = nonNil(list.Connections)
	writeJSON(w, http.StatusOK, list)
}

func (s *status) apiConnection(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := checkParams(q, "wait")
	var wait time.Duration
	if err == nil {
		wait, err = parseWait(q.Get("wait"))
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	t, ok := s.rec.Get(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, APIError{Error: s.unknown(r.PathValue("id"))})
		return
	}
	waitDone(w, r, t, wait)
	sum := t.Summary()
	recs := t.Records()
	if recs == nil {
		recs = []Record{}
	}
	writeJSON(w, http.StatusOK, ConnectionDetail{Live: sum.Live, Summary: sum, Records: recs})
}

func (s *status) apiProfiles(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, profileInfos(s.opt.Ports))
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
