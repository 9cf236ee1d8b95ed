package labrun

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"jabberd/lab"
)

func TestExpand(t *testing.T) {
	got := expand([]string{"-connect", "{host}:{port}", "sh -c 'echo {jid} {unknown}'", "{ca}"},
		map[string]string{"host": "127.0.0.1", "port": "5301", "jid": "alice@localhost", "ca": "/s/ca.crt"})
	want := []string{"-connect", "127.0.0.1:5301", "sh -c 'echo alice@localhost {unknown}'", "/s/ca.crt"}
	if !slices.Equal(got, want) {
		t.Errorf("expand = %q, want %q", got, want)
	}
}

// TestJudge: a failed connection fails the profile, then an inconclusive
// one; a client that had to be stopped cannot pass by its close; no
// connection is not exercised.
func TestJudge(t *testing.T) {
	conn := func(id, verdict string, flags ...string) lab.Summary {
		return lab.Summary{ID: id, Verdict: verdict, Reason: verdict + " because", Flags: flags, Evidence: []int{3}}
	}
	for _, c := range []struct {
		name  string
		r     Result
		want  string
		flags []string
	}{
		{"fail wins", Result{Connections: []lab.Summary{conn("c1", lab.Pass, "stopped-after-refusal"), conn("c2", lab.Fail, lab.FlagFallbackToPlaintext)}}, lab.Fail, []string{"stopped-after-refusal", lab.FlagFallbackToPlaintext}},
		{"inconclusive before pass", Result{Connections: []lab.Summary{conn("c1", lab.Pass), conn("c2", lab.Inconclusive)}}, lab.Inconclusive, []string{}},
		{"pass", Result{Connections: []lab.Summary{conn("c1", lab.Pass, "aborted-on-strip")}}, lab.Pass, []string{"aborted-on-strip"}},
		{"stopped client", Result{Client: clientRun{TimedOut: true}, Connections: []lab.Summary{conn("c1", lab.Pass)}}, lab.Inconclusive, []string{}},
		{"still live", Result{Connections: []lab.Summary{{ID: "c1", Live: true, Verdict: lab.NotExercised}}}, lab.Inconclusive, []string{}},
		{"never connected", Result{}, lab.NotExercised, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			judge(&r)
			if r.Verdict != c.want || r.Reason == "" || !slices.Equal(r.Flags, c.flags) {
				t.Errorf("verdict %s (%q), flags %v; want %s, %v", r.Verdict, r.Reason, r.Flags, c.want, c.flags)
			}
		})
	}
}

func TestExitCodeAndJUnit(t *testing.T) {
	rep := &Report{Protocol: "xmpp", Results: []Result{
		{Profile: "a", Verdict: lab.Pass, Connections: []lab.Summary{{}}},
		{Profile: "b", Verdict: lab.Inconclusive},
		{Profile: "c", Verdict: lab.NotExercised},
	}}
	if got := rep.ExitCode(); got != 2 {
		t.Errorf("inconclusive: exit %d, want 2", got)
	}
	rep.Results = append(rep.Results, Result{Profile: "d", Verdict: lab.Fail, Reason: "fooled <&>"})
	if got := rep.ExitCode(); got != 1 {
		t.Errorf("a failure: exit %d, want 1", got)
	}
	if got := (&Report{Results: []Result{{Verdict: lab.NotExercised}}}).ExitCode(); got != 2 {
		t.Errorf("no connection at all: exit %d, want 2", got)
	}
	path := filepath.Join(t.TempDir(), "r.xml")
	if err := rep.writeJUnit(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s junitSuite
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("JUnit XML does not parse: %v\n%s", err, b)
	}
	if s.Tests != 4 || s.Failures != 1 || s.Errors != 1 || s.Skipped != 1 || s.Cases[3].Failure == nil || s.Cases[3].Failure.Message != "fooled <&>" {
		t.Errorf("suite %+v", s)
	}
}

func TestSelectProfiles(t *testing.T) {
	all, err := selectProfiles(nil, true)
	if err != nil || len(all) == 0 {
		t.Fatal(err)
	}
	for _, p := range all {
		if !p.IRC {
			t.Errorf("--irc selected %s", p.Name)
		}
	}
	if _, err := selectProfiles([]string{"sasl-before-tls"}, true); err == nil {
		t.Error("an XMPP-only profile was accepted for IRC")
	}
	if _, err := selectProfiles([]string{"nonsense"}, false); err == nil {
		t.Error("an unknown profile was accepted")
	}
}

// TestRunClientKillsItsGroup: a client that outlives the timeout is
// stopped with everything it started (a shell's pipeline included), and
// the run knows it timed out.
func TestRunClientKillsItsGroup(t *testing.T) {
	start := time.Now()
	r := runClient([]string{"sh", "-c", "sleep 30 | sleep 30"}, 300*time.Millisecond)
	if !r.TimedOut || r.ExitCode != -1 {
		t.Errorf("run %+v: want a timeout", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the pipeline held the run for %v after the timeout", d)
	}
}
