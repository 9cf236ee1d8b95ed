package lab

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The filters of the status page and its API (index, /api/connections,
// /scorecard, /api/scorecard, /api/transcripts.jsonl):
//
//	profile   a profile name, or "standard"
//	listener  a listener name (xmpp, xmpp-direct, irc, irc-tls) or the
//	          address the client reached, host:port; a host that is empty or
//	          unspecified (":5301", "[::]:5301", "0.0.0.0:5301") matches
//	          that port on any address
//	verdict   pass, fail, inconclusive, not-exercised (a live connection
//	          by its provisional verdict)
//	label     the label of a lab run, any text
//	since     an RFC 3339 time, or a Go duration meaning that long ago
//	          ("10m"): connections that started then or later
//
// Each takes one value or a comma-separated list (or the parameter
// repeated), any of which matches; different filters all have to match.
// An empty value is no filter (an HTML form sends every field). A value
// the filter does not know, and a parameter nobody reads, are an error.

// Listener names, as Summary.Listener holds them.
var listenerNames = []string{"xmpp", "xmpp-direct", "irc", "irc-tls"}

// verdictNames are the verdicts, in the order the pages show them.
var verdictNames = []string{Pass, Fail, Inconclusive, NotExercised}

// standardProfile is how the filters and the scorecard name "no profile".
const standardProfile = "standard"

// Page sizes of the connection list.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// filterParams are the query parameters of a filter, in form order.
var filterParams = []string{"profile", "listener", "verdict", "label", "since"}

// listParams are the parameters of a list of connections: the filter and
// the page.
var listParams = append(slices.Clone(filterParams), "limit", "before")

// connFilter selects connections.
type connFilter struct {
	profiles  []string // "standard" for none
	listeners []string
	verdicts  []string
	labels    []string
	since     time.Time // zero: no bound
	// raw are the parameters as given, for the form and the links.
	raw url.Values
}

// paging is where a page of the connection list starts and how long it is.
type paging struct {
	limit  int    // 0: no limit
	before string // a connection id: the page starts after it
}

// queryError is a bad query parameter: the API answers 400 with it.
type queryError struct{ msg string }

func (e *queryError) Error() string { return e.msg }

func badQuery(format string, a ...any) error { return &queryError{msg: fmt.Sprintf(format, a...)} }

// checkParams refuses a parameter that is not among known.
func checkParams(q url.Values, known ...string) error {
	for k := range q {
		if !slices.Contains(known, k) {
			return badQuery("unknown parameter %q (this endpoint reads %s)", k, strings.Join(known, ", "))
		}
	}
	return nil
}

// values returns the non-empty values of parameter k, commas split.
func values(q url.Values, k string) []string {
	var out []string
	for _, v := range q[k] {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// parseFilter reads the filter parameters of q; now anchors since given
// as a duration.
func parseFilter(q url.Values, now time.Time) (connFilter, error) {
	f := connFilter{raw: url.Values{}}
	for _, k := range filterParams {
		if vs := values(q, k); len(vs) > 0 {
			f.raw.Set(k, strings.Join(vs, ","))
		}
	}
	names := profileNames()
	for _, p := range values(q, "profile") {
		if !slices.Contains(names, p) {
			return f, badQuery("profile %q: no such profile (known: %s)", p, strings.Join(names, ", "))
		}
		f.profiles = append(f.profiles, p)
	}
	for _, l := range values(q, "listener") {
		if !slices.Contains(listenerNames, l) && !isHostPort(l) {
			return f, badQuery("listener %q: neither a listener name (%s) nor an address host:port", l, strings.Join(listenerNames, ", "))
		}
		f.listeners = append(f.listeners, l)
	}
	for _, v := range values(q, "verdict") {
		if !slices.Contains(verdictNames, v) {
			return f, badQuery("verdict %q: no such verdict (known: %s)", v, strings.Join(verdictNames, ", "))
		}
		f.verdicts = append(f.verdicts, v)
	}
	f.labels = values(q, "label")
	switch since := values(q, "since"); len(since) {
	case 0:
	case 1:
		t, err := parseSince(since[0], now)
		if err != nil {
			return f, err
		}
		f.since = t
	default:
		return f, badQuery("since: one time, not %d", len(since))
	}
	return f, nil
}

// parseSince reads an RFC 3339 time or a duration before now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return time.Time{}, badQuery("since %q: neither an RFC 3339 time (2006-01-02T15:04:05Z) nor a duration (10m, 2h)", v)
	}
	if d < 0 {
		return time.Time{}, badQuery("since %q: a duration means that long ago and cannot be negative", v)
	}
	return now.Add(-d), nil
}

// parsePaging reads limit (default def, 0 for none) and before.
func parsePaging(q url.Values, def int) (paging, error) {
	p := paging{limit: def, before: strings.TrimSpace(q.Get("before"))}
	if v := strings.TrimSpace(q.Get("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, badQuery("limit %q: a number from 1 to %d", v, maxLimit)
		}
		p.limit = n
	}
	return p, nil
}

// profileNames are the names a profile filter takes: standard, then every
// profile.
func profileNames() []string {
	out := []string{standardProfile}
	for _, p := range profiles {
		out = append(out, p.Name)
	}
	return out
}

// isHostPort reports whether s is host:port with a numeric port.
func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// profileOf is the name of s's profile as the filters and the scorecard
// show it.
func profileOf(s Summary) string {
	if s.Profile == "" {
		return standardProfile
	}
	return s.Profile
}

// match reports whether s passes the filter.
func (f connFilter) match(s Summary) bool {
	if len(f.profiles) > 0 && !slices.Contains(f.profiles, profileOf(s)) {
		return false
	}
	if len(f.verdicts) > 0 && !slices.Contains(f.verdicts, s.Verdict) {
		return false
	}
	if len(f.labels) > 0 && !slices.Contains(f.labels, s.Label) {
		return false
	}
	if !f.since.IsZero() && s.Started.Before(f.since) {
		return false
	}
	if len(f.listeners) > 0 && !slices.ContainsFunc(f.listeners, func(l string) bool { return listenerMatches(l, s) }) {
		return false
	}
	return true
}

// listenerMatches reports whether the listener filter value l names the
// listener s reached: its name, its address, or its port when l's host is
// empty or unspecified.
func listenerMatches(l string, s Summary) bool {
	if l == s.Listener || (s.Local != "" && l == s.Local) {
		return true
	}
	host, port, err := net.SplitHostPort(l)
	if err != nil {
		return false
	}
	_, lport, err := net.SplitHostPort(s.Local)
	if err != nil || lport != port {
		return false
	}
	if host == "" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		if ip.IsUnspecified() {
			return true
		}
		// The same address spelled another way (::ffff:127.0.0.1).
		lhost, _, _ := net.SplitHostPort(s.Local)
		return ip.Equal(net.ParseIP(lhost))
	}
	return false
}

// newestFirst orders summaries by start, newest first (ties by id), the
// order every list of the status page has.
func newestFirst(a, b Summary) int {
	if c := b.Started.Compare(a.Started); c != 0 {
		return c
	}
	return strings.Compare(b.ID, a.ID)
}

// selection is the connections a request selects, newest first.
type selection struct {
	all     []Summary // every connection the recorder holds, newest first
	matched []Summary // those the filter passes
}

// selectConns applies f to the recorder's connections.
func (s *status) selectConns(f connFilter) selection {
	all := s.rec.List()
	slices.SortFunc(all, newestFirst)
	var sel selection
	sel.all = all
	for _, sum := range all {
		if f.match(sum) {
			sel.matched = append(sel.matched, sum)
		}
	}
	return sel
}

// page cuts one page out of the matched connections: after the
// connection p.before (which need not match the filter), at most p.limit
// of them. next is the id to pass as before for the following page, ""
// when this one is the last.
func (sel selection) page(p paging) (rows []Summary, next string, err error) {
	rows = sel.matched
	if p.before != "" {
		i := slices.IndexFunc(sel.all, func(s Summary) bool { return s.ID == p.before })
		if i < 0 {
			return nil, "", badQuery("before %q: no such connection among the live and the recent ones (it may have been dropped as newer ones ended): start again from the first page", p.before)
		}
		cursor := sel.all[i]
		start := slices.IndexFunc(rows, func(s Summary) bool { return newestFirst(cursor, s) < 0 })
		if start < 0 {
			start = len(rows)
		}
		rows = rows[start:]
	}
	if p.limit > 0 && len(rows) > p.limit {
		rows, next = rows[:p.limit], rows[p.limit-1].ID
	}
	return rows, next, nil
}

// query is the filter's parameters with extra ones set (empty values
// dropped), encoded for a link.
func (f connFilter) query(extra ...string) string {
	q := url.Values{}
	for k, v := range f.raw {
		q[k] = slices.Clone(v)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	return q.Encode()
}

// link is path with the filter's parameters and extra ones.
func (f connFilter) link(path string, extra ...string) string {
	if q := f.query(extra...); q != "" {
		return path + "?" + q
	}
	return path
}
