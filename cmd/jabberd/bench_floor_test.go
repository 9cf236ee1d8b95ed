package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"jabberd/bench"
)

// TestBenchLoginFloor: with -floor-addr every round also logs in to the
// floor reference in the same flow and prints its row, numbered with the
// round; the CPU ratios need -pid and the floor's own CPU, so none here.
func TestBenchLoginFloor(t *testing.T) {
	s, cert := startBenchServer(t)
	ref, floor := serveTLSRawRef(t, cert), serveFloorRef(t, cert)
	for _, flow := range []string{"rfc6120", "legacy"} {
		args := []string{"-addr", s.Addr(), "-state", s.StateDir(), "-tlsraw-addr", ref, "-floor-addr", floor,
			"-flow", flow, "-c", "2", "-d", "200ms", "-rounds", "2", "login"}
		var out, errOut bytes.Buffer
		if code := runBench(args, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", flow, code, errOut.String())
		}
		for i := 1; i <= 2; i++ {
			row := fmt.Sprintf(`(?m)^floor %s #%d\s+[1-9]\d*\s+0\s`, flow, i)
			if !regexp.MustCompile(row).MatchString(out.String()) {
				t.Errorf("no row %q with logins and no errors in:\n%s", row, out.String())
			}
		}
		if strings.Contains(out.String(), "floor error") || strings.Contains(out.String(), "CPU login/floor") {
			t.Errorf("%s: a floor error, or a CPU ratio without CPU:\n%s", flow, out.String())
		}
	}
}

// TestLoginRoundsFloorRatios: a round's floor ratios are the login's CPU
// per login over the floor's, and the floor's over the tlsraw server
// half's; without the floor's result they are not printed.
func TestLoginRoundsFloorRatios(t *testing.T) {
	res := func(name string, done int64, cpuPer time.Duration) bench.LoginResult {
		return bench.LoginResult{Name: name, Done: done, Elapsed: time.Second, ServerCPU: cpuPer * time.Duration(done)}
	}
	lr := newLoginRounds()
	lr.add([]bench.LoginResult{res("login", 1500, 480*time.Microsecond), res("tlsraw", 2500, 300*time.Microsecond), res("floor", 1700, 400*time.Microsecond)})
	lr.add([]bench.LoginResult{res("login", 1500, 500*time.Microsecond), res("tlsraw", 2500, 250*time.Microsecond)})
	var out bytes.Buffer
	lr.printRound(&out, 0)
	lr.printRound(&out, 1)
	lr.printMedians(&out)
	for _, want := range []string{
		"ratio login/tlsraw\t0.60", "CPU login/server half\t1.60", "CPU login/floor\t1.20", "CPU floor/server half\t1.33",
		"CPU login/server half\t2.00",
		"median CPU login/server half\t1.80\t(2 rounds, 1.60–2.00)", "median CPU login/floor\t1.20\t(1 rounds, 1.20–1.20)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "CPU login/floor"); n != 2 {
		t.Errorf("CPU login/floor printed %d times, want 2 (round 1 and its median):\n%s", n, out.String())
	}
}

// TestBenchFloorChild: the built binary's `bench -floor` starts the floor's
// server half as a child process of its own (the password on its stdin),
// logs in to it after the logins and the tlsraw reference, and with -pid
// prints both CPU ratios of the round.
func TestBenchFloorChild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	s := startServer(t, "-user", "bench:bench-pw")
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "bench", "-addr", s.addr, "-state", s.state, "-pid", strconv.Itoa(s.cmd.Process.Pid),
		"-c", "2", "-d", "400ms", "-floor", "login")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !regexp.MustCompile(`(?m)^floor rfc6120\s+[1-9]\d*\s+0\s`).Match(out) {
		t.Errorf("no floor row with logins and no errors:\n%s", out)
	}
	for _, ratio := range []string{"CPU login/floor", "CPU floor/server half"} {
		m := regexp.MustCompile(`(?m)^` + ratio + `\s+([0-9.]+)`).FindSubmatch(out)
		if m == nil || string(m[1]) == "0.00" {
			t.Errorf("no %s in:\n%s", ratio, out)
		}
	}
}
