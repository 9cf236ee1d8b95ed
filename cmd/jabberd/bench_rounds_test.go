package main

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

// TestBenchLoginRounds: `jabberd bench -rounds 3 login` measures the
// logins and the reference three times, prints each round under its
// number with its ratio, and ends with the median of the printed ratios
// and their range; without -rounds, one unnumbered round and no median.
func TestBenchLoginRounds(t *testing.T) {
	s, cert := startBenchServer(t)
	ref := serveTLSRawRef(t, cert)
	run := func(extra ...string) string {
		args := append([]string{"-addr", s.Addr(), "-state", s.StateDir(), "-tlsraw-addr", ref, "-c", "2", "-d", "200ms"}, extra...)
		var out, errOut bytes.Buffer
		if code := runBench(append(args, "login"), &out, &errOut); code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", extra, code, errOut.String())
		}
		return out.String()
	}

	out := run("-rounds", "3")
	var ratios []float64
	for _, m := range regexp.MustCompile(`(?m)^ratio login/tlsraw\s+([0-9.]+)`).FindAllStringSubmatch(out, -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		ratios = append(ratios, x)
	}
	for i := 1; i <= 3; i++ {
		for _, row := range []string{`login rfc6120 #%d\s+[1-9]\d*\s+0\s`, `tlsraw #%d\s+[1-9]\d*\s+0\s`} {
			if !regexp.MustCompile(`(?m)^` + fmt.Sprintf(row, i)).MatchString(out) {
				t.Errorf("no row %q with logins and no errors in:\n%s", fmt.Sprintf(row, i), out)
			}
		}
	}
	if len(ratios) != 3 {
		t.Fatalf("%d per-round ratios, want 3:\n%s", len(ratios), out)
	}
	slices.Sort(ratios)
	want := fmt.Sprintf(`(?m)^median ratio login/tlsraw\s+%.2f\s+\(3 rounds, %.2f–%.2f\)`, ratios[1], ratios[0], ratios[2])
	if !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("want %q in:\n%s", want, out)
	}
	if bytes.Contains([]byte(out), []byte("median CPU")) {
		t.Errorf("a CPU median without -pid:\n%s", out)
	}

	out = run()
	if regexp.MustCompile(`#\d|median`).MatchString(out) || !regexp.MustCompile(`(?m)^login rfc6120\s+[1-9]`).MatchString(out) {
		t.Errorf("one round should be unnumbered, without medians:\n%s", out)
	}
}
