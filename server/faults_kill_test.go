package server_test

// Fault tests ("Performance and hardening", item 5): clients killed at every
// point of the negotiation leave nothing behind in the server, and a
// graceful restart in the middle of a message load loses no message the
// server acknowledged and duplicates none.
//
// This file holds the first: TestKilledClientsLeaveNoTrace, its seed and
// its counts of goroutines and descriptors. The dying client is in
// faults_kill_client_test.go; the restart in faults_restart_test.go.

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"math/rand"
	"net"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"jabberd/config"
)

// faultSeedEnv overrides the fixed seed of the fault tests' random choices.
const faultSeedEnv = "JABBERD_FAULT_SEED"

func faultSeed(t *testing.T) int64 {
	t.Helper()
	seed := int64(52026)
	if s := os.Getenv(faultSeedEnv); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", faultSeedEnv, s, err)
		}
		seed = v
	}
	t.Logf("seed %d (%s=%d reproduces this run)", seed, faultSeedEnv, seed)
	return seed
}

// openFDs counts the test process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("counting file descriptors: %v", err)
	}
	if len(ents) == 0 {
		t.Fatalf("/proc/self/fd is empty: no numbers to compare")
	}
	return len(ents)
}

// describeFDs lists where the open descriptors point, for a failure report.
func describeFDs() string {
	ents, _ := os.ReadDir("/proc/self/fd")
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		fmt.Fprintf(&b, "  %s -> %s\n", e.Name(), target)
	}
	return b.String()
}

// settled waits up to a second for f to return the same value twice in a
// row 20ms apart, and returns it (a baseline taken while the warm-up's
// goroutines finish exiting would be too high).
func settled(f func() int) int {
	prev := f()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		n := f()
		if n == prev {
			return n
		}
		prev = n
	}
	return prev
}

// handshakeBytes measures what the client writes in a whole TLS handshake
// with this server (ClientHello, then its second flight), over a legacy
// upgrade. The connection is one more "connected" line in the log.
func handshakeBytes(t *testing.T, h *harness) int {
	t.Helper()
	c := h.dial(t)
	c.legacyOpen()
	c.send(legacyStartTLS)
	c.expect(closeTag)
	cc := &countConn{Conn: c.tcp}
	tc := tls.Client(cc, h.tlsConfig(nil))
	_ = c.tcp.SetDeadline(time.Now().Add(ioTimeout))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	n := cc.n
	c.tcp.Close()
	if n < 100 {
		t.Fatalf("a whole handshake wrote %d bytes: not a handshake", n)
	}
	return n
}

// TestKilledClientsLeaveNoTrace: clients die (FIN or RST) at every point of
// the negotiation, in both dialects, many at a time. Afterwards the server
// holds no connection, no session, no goroutine and no descriptor more than
// before them, and logged each one.
func TestKilledClientsLeaveNoTrace(t *testing.T) {
	clients, workers := 1000, 48
	if testing.Short() {
		clients = 200
	}
	rng := rand.New(rand.NewSource(faultSeed(t)))
	h := start(t, func(c *config.Config) {
		c.Limits.MaxConnsPerIP = 0 // all from 127.0.0.1
		c.Chat.OfflineQuota = 0    // messages to dying sessions are all stored, never refused
		c.Log.Level = "info"       // "connected" is at info; debug would log every element
	})

	// Warm-up: one whole login (TLS, SASL, bind) and one handshake, so
	// that what is made once per process (TLS tables, the store's pages,
	// the poller) exists before the baseline.
	warm := h.login(t, "alice", "warm-up")
	warm.ping()
	warm.closeStream()
	warm.tcp.Close()
	hsLen := handshakeBytes(t, h)
	const warmUps = 2
	h.waitConnCount(t, 0)
	baseG := settled(busyGoroutines)
	baseFD := settled(func() int { return openFDs(t) })
	t.Logf("baseline: %d goroutines, %d open descriptors; a whole client handshake writes %d bytes", baseG, baseFD, hsLen)

	plans := make([]killPlan, clients)
	for i := range plans {
		plans[i] = killPlan{
			n:      i,
			point:  killPoint(rng.Intn(int(numKillPoints))),
			legacy: rng.Intn(2) == 0,
			reset:  rng.Intn(3) == 0,
			hurry:  rng.Intn(4) == 0,
			extra:  rng.Intn(2) == 0,
			frac:   rng.Float64(),
		}
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00alice\x00" + h.password("alice")))
	var counts faultCounts
	var failures atomic.Int64
	fail := func(p killPlan, format string, args ...any) {
		if failures.Add(1) <= 20 { // the first ones tell the story
			t.Errorf("%v: %s", p, fmt.Sprintf(format, args...))
		}
	}
	remotes := make([]string, clients)
	next := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				nc, err := net.DialTimeout("tcp", h.addr, ioTimeout)
				if err != nil {
					fail(plans[i], "dial: %v", err)
					continue
				}
				c := &faultClient{h: h, tcp: nc.(*net.TCPConn), conn: nc, remote: nc.LocalAddr().String(),
					plan: plans[i], cred: cred, hsLen: hsLen, counts: &counts}
				remotes[i] = c.remote
				if err := c.run(); err != nil {
					fail(plans[i], "%v", err)
				}
			}
		})
	}
	for i := range plans {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d clients killed in %v by %d workers", clients, time.Since(began).Round(time.Millisecond), workers)
	if n := failures.Load(); n > 0 {
		t.Errorf("%d clients did not get where their plan said (the first 20 are above)", n)
	}

	// Goroutine and descriptor exits have no event to wait on: poll. The
	// server learns of each death by a read error, at once; nothing here
	// may wait for a timeout (negotiation 30s, idle 5m: longer than this).
	//
	// Tolerance: +2 over each baseline. The baseline is taken after the
	// warm-up, when nothing made once per process is left to appear, but
	// the runtime and the testing package may still hold a goroutine or a
	// descriptor of their own for a moment when a count is taken (the
	// runtime re-reads its cgroup CPU limit through descriptors it keeps;
	// a baseline taken while the warm-up's last descriptor closed has been
	// seen one too high). Such things do not scale with the clients: a
	// leak in any one of the sixteen dialect × kill-point plans leaves
	// dozens (each plan has about 60 clients, 12 with -short). A socket
	// the server forgot without closing is closed by Go's finalizer at
	// the next collection, so the descriptor count catches the sockets
	// still referenced; the goroutine and connection counts catch the rest.
	const tolerance = 2
	var g, fds, conns, sessions int
	deadline := time.Now().Add(15 * time.Second)
	for {
		g, fds = busyGoroutines(), openFDs(t)
		conns, sessions = h.set.Server.ConnCount(), h.set.Server.Router().Count()
		if (g <= baseG+tolerance && fds <= baseFD+tolerance && conns == 0 && sessions == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("after %v: %d goroutines (baseline %d), %d descriptors (baseline %d), %d connections, %d bound sessions",
		time.Since(began).Round(time.Millisecond), g, baseG, fds, baseFD, conns, sessions)
	if g > baseG+tolerance {
		var b strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d goroutines 15s after the clients died, baseline %d:\n%s", g, baseG, b.String())
	}
	if fds > baseFD+tolerance {
		t.Errorf("%d open descriptors 15s after the clients died, baseline %d:\n%s", fds, baseFD, describeFDs())
	}
	if conns != 0 {
		t.Errorf("ConnCount = %d, want 0", conns)
	}
	if sessions != 0 {
		t.Errorf("the router still holds %d bound sessions", sessions)
	}

	// The log: one "connected" per client, and the states the clients saw
	// the server reach (a plan that never got there tested nothing).
	perRemote := map[string]int{}
	count := map[string]int{}
	for _, e := range h.logs.Entries(t) {
		switch msg := e.Str("message"); msg {
		case "connected":
			perRemote[e.Str("remote")]++
			count[msg]++
		case "TLS established", "authenticated", "session bound":
			count[msg]++
		}
	}
	if count["connected"] != clients+warmUps {
		t.Errorf("%d \"connected\" log entries, want %d (%d clients and %d warm-ups)", count["connected"], clients+warmUps, clients, warmUps)
	}
	for i, r := range remotes {
		if r != "" && perRemote[r] == 0 {
			t.Errorf("%v: no \"connected\" log entry for %s", plans[i], r)
		}
	}
	for _, c := range []struct {
		msg     string
		reached int64
	}{
		{"TLS established", counts.tls.Load()},
		{"authenticated", counts.authenticated.Load()},
		{"session bound", counts.bound.Load()},
	} {
		if c.reached == 0 || int64(count[c.msg]) < c.reached+1 {
			t.Errorf("%d %q log entries; clients saw it %d times (+1 warm-up)", count[c.msg], c.msg, c.reached)
		}
	}
	seen := map[[2]int]int{}
	for _, p := range plans {
		d := 0
		if p.legacy {
			d = 1
		}
		seen[[2]int{int(p.point), d}]++
	}
	for k := range numKillPoints {
		for d, name := range []string{"rfc6120", "legacy"} {
			if seen[[2]int{int(k), d}] == 0 {
				t.Errorf("no client was killed %s in the %s dialect: change the seed or the number of clients", k, name)
			}
		}
	}
	t.Logf("clients saw: TLS %d, authenticated %d, bound %d; the server logged %v",
		counts.tls.Load(), counts.authenticated.Load(), counts.bound.Load(), count)
}
