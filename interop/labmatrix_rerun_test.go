package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"jabberd/lab"
	"jabberd/labrun"
)

// rerunRounds bounds the reruns of a cell the run's timeout cut short,
// each with twice the timeout of the one before.
const rerunRounds = 2

// clientVerdict is the verdict the client's own output earns for res.
func clientVerdict(c matrixClient, p *lab.Profile, res labrun.Result) (out clientOutput, verdict, why string) {
	out = clientOutput{exit: res.Client.ExitCode, timedOut: res.Client.TimedOut, startErr: res.Client.Error, text: res.Client.Output}
	verdict, why = expect(p, c.observe(out), matrixDomain, matrixSlow, time.Now())
	return out, verdict, why
}

// rerunStopped runs again, with twice the timeout, the cells whose client
// the run's timeout stopped and whose two verdicts disagree: on a loaded
// machine a client that starts slowly (Perl's sendxmpp, Python's slixmpp)
// can use up its budget before it even connects, and then jabberd says
// not-exercised (no connection) while its output says inconclusive (it was
// stopped). That is the machine's doing, not the client's nor the lab's. A
// disagreement that is either one shows again with the longer timeout and
// fails as before; a cell whose client ended by itself, or whose verdicts
// agree, is never run again.
func rerunStopped(t *testing.T, c matrixClient, opt labrun.Options, results []labrun.Result) []labrun.Result {
	t.Helper()
	for round := range rerunRounds {
		var again []string
		at := map[string]int{}
		for i, res := range results {
			p, ok := lab.Lookup(res.Profile)
			if !ok || p == nil || !res.Client.TimedOut {
				continue
			}
			if _, want, _ := clientVerdict(c, p, res); want != res.Verdict {
				again = append(again, res.Profile)
				at[res.Profile] = i
			}
		}
		if len(again) == 0 {
			return results
		}
		o := opt
		o.Timeout = opt.Timeout << (round + 1)
		if o.TranscriptDir != "" {
			o.TranscriptDir = filepath.Join(opt.TranscriptDir, fmt.Sprint("rerun", round+1))
			if err := os.MkdirAll(o.TranscriptDir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: the run's timeout (%v) stopped the client in %q with the verdicts disagreeing: again with %v", c.name, opt.Timeout<<round, again, o.Timeout)
		rerun, err := runShards(o, again, c.shards)
		if err != nil {
			t.Fatalf("labrun.Run (rerun): %v", err)
		}
		for _, res := range rerun {
			results[at[res.Profile]] = res
		}
	}
	return results
}
