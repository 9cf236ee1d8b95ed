package lab

import (
	"cmp"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// The scorecard: how many connections of each profile passed, failed, were
// inconclusive or did not exercise the profile, over all and per label and
// listener address (a per-profile port is a listener address).
//
//	GET /scorecard      the HTML view
//	GET /api/scorecard  Scorecard as JSON
//
// Both take the filters of the connection list (status_filter.go).

// ScoreCounts are the connections of one scorecard row. The verdict counts
// are of ended connections; a live connection's verdict is not final yet,
// so it is counted under Live only.
type ScoreCounts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Inconclusive int `json:"inconclusive"`
	NotExercised int `json:"not-exercised"`
	Live         int `json:"live"`
}

// ProfileScore is one profile's row over all the matching connections.
type ProfileScore struct {
	Profile string `json:"profile"` // "standard" when no profile was in force
	ScoreCounts
}

// GroupScore is one profile's row among the connections of one label that
// reached one listener address.
type GroupScore struct {
	Label    string `json:"label"`    // "" for connections without one
	Listener string `json:"listener"` // xmpp, xmpp-direct, irc
	Local    string `json:"local"`    // the listener's address
	Profile  string `json:"profile"`
	ScoreCounts
}

// Scorecard is the answer of GET /api/scorecard.
type Scorecard struct {
	// Profiles has a row for standard and every profile (or those the
	// profile filter names), in the order of GET /api/profiles, zeros
	// included: a profile nobody tried shows as such.
	Profiles []ProfileScore `json:"profiles"`
	// Groups has a row per label, listener address and profile that has
	// connections, ordered by label, address (port numerically), then
	// profile.
	Groups []GroupScore `json:"groups"`
	// Total is the sum of Profiles.
	Total ScoreCounts `json:"total"`
}

// add counts s.
func (c *ScoreCounts) add(s Summary) {
	if s.Live {
		c.Live++
		return
	}
	switch s.Verdict {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case Inconclusive:
		c.Inconclusive++
	case NotExercised:
		c.NotExercised++
	}
}

// Of returns the count of verdict v ("live" for the live ones).
func (c ScoreCounts) Of(v string) int {
	switch v {
	case Pass:
		return c.Pass
	case Fail:
		return c.Fail
	case Inconclusive:
		return c.Inconclusive
	case NotExercised:
		return c.NotExercised
	case "live":
		return c.Live
	}
	return 0
}

// Total is the number of connections counted.
func (c ScoreCounts) Total() int {
	return c.Pass + c.Fail + c.Inconclusive + c.NotExercised + c.Live
}

// scorecard counts the connections of rows.
func scorecard(rows []Summary, f connFilter) Scorecard {
	names := profileNames()
	if len(f.profiles) > 0 {
		names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(f.profiles, n) })
	}
	order := func(p string) int { return slices.Index(names, p) }
	sc := Scorecard{Profiles: make([]ProfileScore, len(names)), Groups: []GroupScore{}}
	for i, n := range names {
		sc.Profiles[i].Profile = n
	}
	type key struct{ label, listener, local, profile string }
	groups := map[key]*GroupScore{}
	for _, s := range rows {
		p := profileOf(s)
		i := order(p)
		if i < 0 {
			continue // not among the names: cannot happen for a known profile
		}
		sc.Profiles[i].add(s)
		sc.Total.add(s)
		k := key{s.Label, s.Listener, s.Local, p}
		g := groups[k]
		if g == nil {
			g = &GroupScore{Label: s.Label, Listener: s.Listener, Local: s.Local, Profile: p}
			groups[k] = g
		}
		g.add(s)
	}
	for _, g := range groups {
		sc.Groups = append(sc.Groups, *g)
	}
	slices.SortFunc(sc.Groups, func(a, b GroupScore) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), compareAddr(a.Local, b.Local), cmp.Compare(a.Listener, b.Listener),
			cmp.Compare(order(a.Profile), order(b.Profile)))
	})
	return sc
}

// compareAddr orders listener addresses by host, then port numerically.
func compareAddr(a, b string) int {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return cmp.Compare(a, b)
	}
	na, _ := strconv.Atoi(pa)
	nb, _ := strconv.Atoi(pb)
	return cmp.Or(cmp.Compare(ha, hb), cmp.Compare(na, nb))
}

// scoreTable is one table of the scorecard page.
type scoreTable struct {
	Label, Listener, Local string
	Rows                   []ProfileScore
	Total                  ScoreCounts
}

type scorecardPage struct {
	Transcripts bool
	Filter      filterView
	Error       string
	Card        Scorecard
	All         scoreTable
	Tables      []scoreTable // one per label and listener address
	Now         time.Time
	JSON        string // the same as JSON
	Connections string // the connection list under the same filters
}

// scoreLink is the connection list of one scorecard cell: the page's
// filters narrowed to the profile, verdict and listener address (and
// label) of the cell.
func scoreLink(fv filterView, t scoreTable, profile, verdict string) string {
	extra := []string{"profile", profile, "verdict", verdict}
	if t.Local != "" {
		extra = append(extra, "listener", t.Local)
	} else if t.Listener != "" {
		extra = append(extra, "listener", t.Listener)
	}
	if t.Label != "" {
		extra = append(extra, "label", t.Label)
	}
	return fv.f.link("/", extra...)
}

func (s *status) apiScorecard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, filterParams...); err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	f, err := parseFilter(q, time.Now())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, scorecard(s.selectConns(f).matched, f))
}

func (s *status) scorecardPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := time.Now()
	err := checkParams(q, filterParams...)
	var f connFilter
	if err == nil {
		f, err = parseFilter(q, now)
	}
	p := scorecardPage{Transcripts: s.rec != nil, Now: now}
	if err != nil {
		p.Filter = s.filterView(q, f, false, nil)
		p.Error = err.Error()
		s.render(w, http.StatusBadRequest, "scorecard", p)
		return
	}
	sel := s.selectConns(f)
	p.Filter = s.filterView(q, f, false, sel.all)
	p.Card = scorecard(sel.matched, f)
	p.JSON, p.Connections = f.link("/api/scorecard"), f.link("/")
	p.All = scoreTable{Rows: p.Card.Profiles, Total: p.Card.Total}
	for _, g := range p.Card.Groups {
		n := len(p.Tables)
		if n == 0 || p.Tables[n-1].Label != g.Label || p.Tables[n-1].Local != g.Local || p.Tables[n-1].Listener != g.Listener {
			p.Tables = append(p.Tables, scoreTable{Label: g.Label, Listener: g.Listener, Local: g.Local})
			n++
		}
		t := &p.Tables[n-1]
		t.Rows = append(t.Rows, ProfileScore{Profile: g.Profile, ScoreCounts: g.ScoreCounts})
		t.Total.Pass += g.Pass
		t.Total.Fail += g.Fail
		t.Total.Inconclusive += g.Inconclusive
		t.Total.NotExercised += g.NotExercised
		t.Total.Live += g.Live
	}
	s.render(w, http.StatusOK, "scorecard", p)
}
