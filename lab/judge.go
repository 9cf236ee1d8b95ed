package lab

import (
	"bytes"
	"slices"
)

// How checks become a connection's verdict. Called under Transcript.mu.

// pass records a check the client passed, once per flag.
func (t *Transcript) pass(flag, reason string) { t.check(flag, Pass, reason) }

// fail records a check the client failed, once per flag.
func (t *Transcript) fail(flag, reason string) { t.check(flag, Fail, reason) }

// undecided records why the connection cannot be judged (the first reason
// stands): the server, not the client, ended the moment that decides.
func (t *Transcript) undecided(reason string) {
	if t.verdict.undecided == "" {
		t.verdict.undecided = reason
		t.push(Record{Dir: DirEvent, Data: "verdict inconclusive: " + reason})
		t.conclude()
	}
}

func (t *Transcript) check(flag, result, reason string) {
	if t.hasCheck(flag) {
		return
	}
	evidence := []int{}
	if n := t.trigger(); n > 0 {
		evidence = append(evidence, n)
	}
	t.push(Record{Dir: DirEvent, Data: "verdict: " + flag + " (" + result + "): " + reason})
	evidence = append(evidence, t.numRecords())
	t.sum.Flags = append(t.sum.Flags, flag)
	t.sum.Checks = append(t.sum.Checks, Check{Flag: flag, Result: result, Reason: reason, Evidence: evidence})
	t.conclude()
}

// trigger is the seq of the record that decided a check: the latest one
// that is not itself a verdict (two checks drawn from one input both point
// at that input).
func (t *Transcript) trigger() int {
	w := walker{t: t}
	for i := t.numRecords() - 1; i >= 0; i-- {
		e := w.entry(i)
		if e.dir == dirEvent && bytes.HasPrefix(w.data(e), []byte("verdict")) {
			continue
		}
		return i + 1
	}
	return 0
}

func (t *Transcript) hasCheck(flag string) bool { return slices.Contains(t.sum.Flags, flag) }

// conclude draws the verdict from the checks: a failed check fails the
// connection, an undecided moment makes it inconclusive, a passed check
// passes it; with none it is not exercised (End says why).
func (t *Transcript) conclude() {
	var first *Check
	for _, result := range []string{Fail, "", Pass} {
		if result == "" {
			if t.verdict.undecided != "" {
				t.sum.Verdict, t.sum.Reason, t.sum.Evidence = Inconclusive, t.verdict.undecided, nil
				return
			}
			continue
		}
		for i := range t.sum.Checks {
			if c := &t.sum.Checks[i]; c.Result == result {
				if first == nil {
					first = c
					t.sum.Evidence = nil
				}
				t.sum.Evidence = append(t.sum.Evidence, c.Evidence...)
			}
		}
		if first != nil {
			t.sum.Verdict, t.sum.Reason = result, first.Reason
			return
		}
	}
	t.sum.Verdict, t.sum.Evidence = NotExercised, nil
	if t.sum.Live {
		t.sum.Reason = "nothing decided yet: the connection is live"
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
