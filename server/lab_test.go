package server_test

// The lab target end to end: for every profile, the careful client and the
// naive one (labclient_test.go) against a real server over loopback, with
// real TLS, and the verdict flags the transcript draws for each.
//
// This file holds the profile test (TestLabProfiles) and its runner; the
// table of cases is in lab_cases_test.go, the selector precedence test in
// lab_precedence_test.go, the transcript assertions in lab_assert_test.go.

import (
	"slices"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// labSlowDelay is the slow-handshake profile's delay in these tests; the
// careful client gives up long before it, the naive one waits it out.
const (
	labSlowDelay        = 1500 * time.Millisecond
	labHandshakeTimeout = 300 * time.Millisecond
)

// TestLabProfiles runs both clients against every profile.
func TestLabProfiles(t *testing.T) {
	cases := labCases()
	var names []string
	for _, c := range cases {
		names = append(names, c.profile)
	}
	// One case per profile, whichever file of cases it is in (the order
	// is not the listing's), except for the profiles with a table of their
	// own (TestLabSASLProfiles) and those that bend only IRC.
	covered := map[string]bool{}
	for _, c := range saslLabCases() {
		covered[c.profile] = true
	}
	for _, n := range names {
		if p, ok := lab.Lookup(n); !ok || p == nil || covered[n] {
			t.Fatalf("case %q: not a profile, or a profile with a case already", n)
		}
		covered[n] = true
	}
	for _, p := range lab.Profiles() {
		if !p.IRCOnly && !covered[p.Name] {
			t.Errorf("no case for %s (cases %v)", p.Name, names)
		}
	}
	for _, c := range cases {
		for _, good := range []bool{true, false} {
			kind := "naive"
			if good {
				kind = "careful"
			}
			t.Run(c.profile+"/"+kind, func(t *testing.T) {
				t.Parallel()
				runLabCase(t, c, good)
			})
		}
	}
}

func runLabCase(t *testing.T, c labCase, good bool) {
	p, _ := lab.Lookup(c.profile)
	h := start(t, func(cfg *config.Config) {
		cfg.Lab.SlowHandshakeDelay = config.Duration{Duration: labSlowDelay}
		if c.by == lab.ByListener {
			cfg.Listen[0].Profile = c.profile
		}
		if c.configure != nil {
			c.configure(cfg)
		}
	})
	acct := labAccount{
		addr: h.addr, user: "alice", password: h.password("alice"), from: "alice@localhost",
		serverName: "localhost", roots: h.Roots, handshakeTimeout: labHandshakeTimeout,
	}
	switch c.by {
	case lab.ByUsername:
		acct.user = "alice" + lab.TagSeparator + c.profile
		acct.from = acct.user + "@localhost"
	case lab.BySNI:
		acct.serverName = c.profile + ".localhost"
	}
	if c.cert {
		cert, _ := h.clientCert("alice")
		acct.cert = &cert
	}
	careful, naive := carefulClient, naiveClient
	if c.careful != nil {
		careful = c.careful
	}
	if c.naive != nil {
		naive = c.naive
	}
	var run *labRun
	want, wire := c.bad, c.badWire
	if good {
		run = careful(acct)
		want, wire = c.good, c.goodWire
	} else {
		run = naive(acct)
	}
	t.Logf("client ended with %v after %d connection(s), mechanisms %v", run.err, len(run.conns), run.mechanisms)
	if len(run.conns) != len(want) {
		t.Fatalf("%d connections, want %d", len(run.conns), len(want))
	}
	var all []string
	var verdicts []string
	for i, st := range run.conns {
		tr := h.labTranscript(t, st.local)
		sum := tr.Summary()
		if sum.Profile != c.profile || sum.SelectedBy != c.by || sum.Dialect != "rfc6120" {
			t.Errorf("connection %d: profile %q selected by %q, dialect %q; want %q by %q, rfc6120", i+1, sum.Profile, sum.SelectedBy, sum.Dialect, c.profile, c.by)
		}
		if !labSameFlags(sum.Flags, want[i]) {
			t.Errorf("connection %d: flags %q, want %q", i+1, sum.Flags, want[i])
		}
		all = append(all, sum.Flags...)
		verdicts = append(verdicts, sum.Verdict)
		labCheckRecords(t, tr, st)
		if i == len(run.conns)-1 {
			labCheckTLSSummary(t, sum, run, acct.serverName)
		}
	}
	// The profile's own verdict, whatever else was flagged.
	if good || len(p.Fail) == 0 { // a profile without failures of its own (slow-handshake) passes both
		if !slices.ContainsFunc(all, func(f string) bool { return slices.Contains(p.Pass, f) }) || slices.Contains(verdicts, lab.Fail) {
			t.Errorf("careful client: flags %q verdicts %q, want one of %q and no failure", all, verdicts, p.Pass)
		}
	} else {
		if !slices.ContainsFunc(all, func(f string) bool { return slices.Contains(p.Fail, f) }) || !slices.Contains(verdicts, lab.Fail) {
			t.Errorf("naive client: flags %q verdicts %q, want one of %q and a failure", all, verdicts, p.Fail)
		}
	}
	labCheckRedacted(t, h, run)
	wire(t, h, run)
}
