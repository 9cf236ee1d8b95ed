package main

import (
	"fmt"
	"io"
	"slices"

	"jabberd/bench"
)

// loginRounds are the two ratios of each round of `jabberd bench login`
// (-rounds): a login's CPU against the reference's moves by several per
// cent between runs of the same binaries on a shared machine, more than
// many a change moves it, so a verdict against a goal wants the median
// of several rounds, the login and its reference measured alternately.
type loginRounds struct {
	rate, cpu []float64 // login/tlsraw rates; CPU per login / server half (0: not read)
}

// add notes one round's ratios.
func (lr *loginRounds) add(login, raw bench.LoginResult) {
	rate, cpu := 0.0, 0.0
	if raw.Rate() > 0 {
		rate = login.Rate() / raw.Rate()
	}
	if l, h := login.CPUPer(), raw.CPUPer(); l > 0 && h > 0 {
		cpu = float64(l) / float64(h)
	}
	lr.rate, lr.cpu = append(lr.rate, rate), append(lr.cpu, cpu)
}

// printRound writes round i's ratios, those that were measured.
func (lr *loginRounds) printRound(w io.Writer, i int) {
	if lr.rate[i] > 0 {
		fmt.Fprintf(w, "ratio login/tlsraw\t%.2f\t\t\t\t\t\n", lr.rate[i])
	}
	if lr.cpu[i] > 0 {
		fmt.Fprintf(w, "CPU login/server half\t%.2f\t\t\t\t\t\n", lr.cpu[i])
	}
}

// printMedians writes the median of each ratio over the rounds, with its
// range.
func (lr *loginRounds) printMedians(w io.Writer) {
	for _, r := range []struct {
		label string
		xs    []float64
	}{{"median ratio login/tlsraw", lr.rate}, {"median CPU login/server half", lr.cpu}} {
		xs := slices.DeleteFunc(slices.Clone(r.xs), func(x float64) bool { return x <= 0 })
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		fmt.Fprintf(w, "%s\t%.2f\t(%d rounds, %.2f–%.2f)\t\t\t\t\n", r.label, median(xs), len(xs), xs[0], xs[len(xs)-1])
	}
}

// median of sorted xs, which are not empty.
func median(xs []float64) float64 {
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}
