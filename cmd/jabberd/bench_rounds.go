package main

import (
	"fmt"
	"io"
	"slices"

	"jabberd/bench"
)

// loginRounds are the ratios of each round of `jabberd bench login`
// (-rounds): a login's CPU against the reference's moves by several per
// cent between runs of the same binaries on a shared machine, more than
// many a change moves it, so a verdict against a goal wants the median
// of several rounds, the login and its references measured alternately.
type loginRounds struct {
	// series in the order they are printed; a ratio not measured in a
	// round (no -pid, no -floor) is 0 and not printed.
	series []ratioSeries
}

// ratioSeries is one ratio over the rounds.
type ratioSeries struct {
	label string
	xs    []float64
}

// The ratios, by their index in series.
const (
	rateRatio      = iota // login/tlsraw rates
	cpuRatio              // CPU per login / the tlsraw server half's per handshake
	floorRatio            // CPU per login / the floor's per login
	floorHalfRatio        // the floor's CPU per login / the server half's
)

func newLoginRounds() *loginRounds {
	return &loginRounds{series: []ratioSeries{
		{label: "ratio login/tlsraw"}, {label: "CPU login/server half"},
		{label: "CPU login/floor"}, {label: "CPU floor/server half"},
	}}
}

// add notes one round's ratios from its results: the logins, the
// tlsraw reference and, with -floor, the floor reference.
func (lr *loginRounds) add(results []bench.LoginResult) {
	xs := make([]float64, len(lr.series))
	login, raw := results[0], results[1]
	if raw.Rate() > 0 {
		xs[rateRatio] = login.Rate() / raw.Rate()
	}
	xs[cpuRatio] = cpuRatioOf(login, raw)
	if len(results) > 2 {
		floor := results[2]
		xs[floorRatio], xs[floorHalfRatio] = cpuRatioOf(login, floor), cpuRatioOf(floor, raw)
	}
	for i, x := range xs {
		lr.series[i].xs = append(lr.series[i].xs, x)
	}
}

// cpuRatioOf is a's server CPU per operation over b's; 0 when either was
// not read.
func cpuRatioOf(a, b bench.LoginResult) float64 {
	if x, y := a.CPUPer(), b.CPUPer(); x > 0 && y > 0 {
		return float64(x) / float64(y)
	}
	return 0
}

// printRound writes round i's ratios, those that were measured.
func (lr *loginRounds) printRound(w io.Writer, i int) {
	for _, s := range lr.series {
		if s.xs[i] > 0 {
			fmt.Fprintf(w, "%s\t%.2f\t\t\t\t\t\n", s.label, s.xs[i])
		}
	}
}

// printMedians writes the median of each ratio over the rounds, with its
// range.
func (lr *loginRounds) printMedians(w io.Writer) {
	for _, s := range lr.series {
		xs := slices.DeleteFunc(slices.Clone(s.xs), func(x float64) bool { return x <= 0 })
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		fmt.Fprintf(w, "median %s\t%.2f\t(%d rounds, %.2f–%.2f)\t\t\t\t\n", s.label, median(xs), len(xs), xs[0], xs[len(xs)-1])
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
