package labrun

import (
	"slices"
	"strings"
	"time"

	"jabberd/lab"
)

// Result is one profile's line of the scorecard.
type Result struct {
	Profile string `json:"profile"`
	// Correct is what a correct client does under the profile.
	Correct string `json:"correct"`
	// Verdict is pass, fail, inconclusive or not-exercised; Reason says
	// what this client did, in one sentence.
	Verdict     string         `json:"verdict"`
	Reason      string         `json:"reason"`
	Flags       []string       `json:"flags"`
	Address     string         `json:"address"`
	Connections []lab.Summary  `json:"connections"`
	Client      clientRun      `json:"client"`
	Duration    time.Duration  `json:"duration_ns"`
	Evidence    []EvidenceLink `json:"evidence"`
}

// EvidenceLink points into a connection's transcript.
type EvidenceLink struct {
	Connection string `json:"connection"`
	Records    []int  `json:"records"`
}

// waitEnded waits until every connection the client made to addr in this
// run has ended (its verdict is then final), or until the wait passes; it
// returns their summaries, oldest first. A connection to a port addr sent
// the client to (sts-bad-port's TLS port) counts as one to addr.
func waitEnded(rec *lab.Recorder, label, addr string, wait time.Duration) []lab.Summary {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		var out []lab.Summary
		var live []*lab.Transcript
		for _, s := range rec.List() {
			if s.Label != label || s.Local != addr && s.PortOf != addr {
				continue
			}
			out = append(out, s)
			if s.Live {
				if t, ok := rec.Get(s.ID); ok {
					live = append(live, t)
				}
			}
		}
		if len(live) == 0 {
			slices.Reverse(out)
			return out
		}
		select {
		case <-live[0].Done():
		case <-deadline.C:
			slices.Reverse(out)
			return out
		}
	}
}

// judge draws a profile's verdict from its connections and the client's
// run: a failed connection fails it, then an inconclusive one makes it
// inconclusive, then a passed one passes it.
func judge(r *Result) {
	r.Flags = []string{}
	for _, c := range r.Connections {
		for _, f := range c.Flags {
			if !slices.Contains(r.Flags, f) {
				r.Flags = append(r.Flags, f)
			}
		}
	}
	if len(r.Connections) == 0 {
		r.Verdict, r.Reason = lab.NotExercised, "the client never connected to this profile's port"
		if r.Client.Error != "" {
			r.Reason += " (it could not be started: " + r.Client.Error + ")"
		}
		return
	}
	for i := range r.Connections {
		if c := &r.Connections[i]; c.Live {
			// Its verdict is not final: a client that holds a connection
			// open past the wait has not shown what it does.
			c.Verdict, c.Reason = lab.Inconclusive, "the connection was still open when the run stopped waiting for it ("+c.Reason+")"
		}
	}
	for _, want := range []string{lab.Fail, lab.Inconclusive, lab.Pass, lab.NotExercised} {
		var reasons []string
		for _, c := range r.Connections {
			if c.Verdict != want {
				continue
			}
			reasons = append(reasons, c.ID+": "+c.Reason)
			r.Evidence = append(r.Evidence, EvidenceLink{Connection: c.ID, Records: c.Evidence})
		}
		if len(reasons) == 0 {
			continue
		}
		r.Verdict, r.Reason = want, strings.Join(reasons, "; ")
		if want == lab.Pass && r.Client.TimedOut {
			// A pass may rest on the client closing; the run closed it.
			r.Verdict = lab.Inconclusive
			r.Reason = "the client did not exit within the timeout and was stopped, so the end of its connections was not its own (" + r.Reason + ")"
		}
		return
	}
}
