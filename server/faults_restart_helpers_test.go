package server_test

// Helpers of TestRestartUnderMessageLoad (faults_restart_test.go): its
// assertions on what the recipients received, the senders' records, the
// filler's padding, waiting for the senders, finding connection goroutines
// parked in a given state in a goroutine dump, and waiting for workers.

import (
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// ---- restart under load: assertions ----

// restartTally is every copy received, live or offline, counted by id.
type restartTally struct {
	got             map[string]int
	offlineIDs      map[string]bool
	pairs           map[string][]int // "sender→recipient" → message numbers, in order of receipt (live, then offline)
	nLive, nOffline int
}

// checkReceived checks and counts every copy received, live or offline:
// none twice, each pair's in sending order, and what waited behind the
// stalled recipient's blocked writer or met its closing queue stored.
func (r *restartRun) checkReceived() {
	t := r.t
	r.got = map[string]int{}
	r.offlineIDs = map[string]bool{}
	r.pairs = map[string][]int{}
	for _, rc := range loadRecipients {
		if d := r.live[rc.name]; d != nil {
			for _, el := range d.els {
				if el.Tag == "message" {
					r.check(rc.name, el, false)
				}
			}
		}
		for _, el := range r.offline[rc.name] {
			r.check(rc.name, el, true)
		}
	}
	for id, n := range r.got {
		if n > 1 {
			t.Errorf("%s received %d times", id, n)
		}
	}
	for k, js := range r.pairs {
		if !slices.IsSorted(js) {
			t.Errorf("%s: messages out of sending order (live, then offline): %v", k, js)
		}
	}
	for _, id := range append(r.queued, loadHoldID) {
		if !r.offlineIDs[id] {
			t.Errorf("%s, queued for the stalled recipient or routed to it while its queue closed, was not delivered from offline storage (received %d times)", id, r.got[id])
		}
	}
}

// check checks one copy that who received, from offline storage if stored,
// and counts it.
func (r *restartRun) check(who string, el *etree.Element, stored bool) {
	t := r.t
	id := el.SelectAttrValue("id", "")
	m := loadIDRe.FindStringSubmatch(id)
	if m == nil {
		t.Errorf("%s received a message that no sender wrote: %.200s", who, stream.Marshal(el))
		return
	}
	i, _ := strconv.Atoi(m[1])
	j, _ := strconv.Atoi(m[2])
	if i > loadSenders || loadTargetOf(i, j) != who ||
		el.SelectAttrValue("from", "") != loadSenderName(i)+"@localhost/s" ||
		el.SelectAttrValue("to", "") != who+"@localhost" || el.SelectAttrValue("type", "") != "chat" {
		t.Errorf("%s received a message with the wrong addresses: %.200s", who, stream.Marshal(el))
	}
	if b, sub := el.SelectElement("body"), el.SelectElement("subject"); b == nil || b.Text() != id ||
		(sub == nil) != (i != loadSenders) || (sub != nil && sub.Text() != fillPadding) {
		t.Errorf("%s received a message with the wrong content: %.200s", who, stream.Marshal(el))
	}
	var delays []*etree.Element
	for _, d := range el.SelectElements("delay") {
		if d.NamespaceURI() == nsDelay {
			delays = append(delays, d)
		}
	}
	switch {
	case stored && len(delays) != 1:
		t.Errorf("%s: offline copy of %s has %d XEP-0203 delay stamps, want 1", who, id, len(delays))
	case stored:
		stamp, err := time.Parse(time.RFC3339, delays[0].SelectAttrValue("stamp", ""))
		if err != nil || delays[0].SelectAttrValue("from", "") != "localhost" ||
			stamp.Before(r.began.Truncate(time.Second)) || stamp.After(time.Now()) {
			t.Errorf("%s: offline copy of %s has a wrong delay stamp %s (stored between %v and now) %v",
				who, id, stream.Marshal(delays[0]), r.began.UTC().Format(time.RFC3339), err)
		}
		r.nOffline++
		r.offlineIDs[id] = true
	case len(delays) != 0:
		t.Errorf("%s: live copy of %s has a delay stamp: it was never stored", who, id)
	default:
		r.nLive++
	}
	r.got[id]++
	k := loadSenderName(i) + "→" + who
	r.pairs[k] = append(r.pairs[k], j)
}

// checkAcknowledged: a message acknowledged by a ping answer was received
// exactly once; one written after the last answer at most once (checked
// by checkReceived), possibly not at all. One read by the first server
// (its hook saw it) was delivered or stored, so exactly once as well.
func (r *restartRun) checkAcknowledged() {
	t := r.t
	var sent, acked, unackedMissing int
	for _, s := range r.ss {
		for _, odd := range s.odd {
			t.Errorf("%s received %s", s.name, odd)
		}
		sent += len(s.sent)
		acked += s.acked
		for n, id := range s.sent {
			switch {
			case n < s.acked && r.got[id] != 1:
				t.Errorf("%s: %s was acknowledged (answered ping after it) but received %d times", s.name, id, r.got[id])
			case n >= s.acked && r.got[id] == 0:
				unackedMissing++
			}
		}
	}
	r.readMu.Lock()
	defer r.readMu.Unlock()
	for _, id := range r.read {
		if r.got[id] != 1 {
			t.Errorf("%s was read by the server but received %d times", id, r.got[id])
		}
	}
	if acked < loadSenders*loadStopAfter*loadPerPing || r.nOffline == 0 || r.nLive == 0 {
		t.Errorf("the load did not test anything: %d acknowledged, %d live, %d offline", acked, r.nLive, r.nOffline)
	}
	t.Logf("written %d, read by the server %d, acknowledged %d; received live %d, offline after the restart %d; "+
		"unacknowledged and never received %d; shutdown took %v",
		sent, len(r.read), acked, r.nLive, r.nOffline, unackedMissing, r.stopped.Round(time.Millisecond))
}

// logRecipients logs what each recipient received, live and offline.
func (r *restartRun) logRecipients() {
	for _, rc := range loadRecipients {
		n := 0
		if d := r.live[rc.name]; d != nil {
			for _, el := range d.els {
				if el.Tag == "message" {
					n++
				}
			}
		}
		r.t.Logf("  %-8s (%s): live %d, offline %d", rc.name, rc.kind, n, len(r.offline[rc.name]))
	}
}

// ---- restart under load: records and goroutine dumps ----

// loadSender is one sender's record: what it wrote, and what the server
// answered.
type loadSender struct {
	c    *chatClient
	name string

	mu       sync.Mutex
	sent     []string       // message ids, in writing order
	pingAt   map[string]int // ping id → messages written before it
	acked    int            // messages before the last answered ping: accepted for sure
	answered int
	odd      []string // anything else the sender received
}

var loadIDRe = regexp.MustCompile(`^m(\d+)-(\d+)$`)

// fillPadding makes the filler's messages large: a few megabytes fill the
// socket buffers between the server and the stalled recipient.
var fillPadding = strings.Repeat("fill ", 32<<10/5)

// stack returns every goroutine's stack.
func stack() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// parkedConns returns the receivers of the goroutines parked in state (the
// status in a goroutine dump, like "IO wait") with method (of *transport.Conn, like
// "drain") on their stack. The harness finds parked readers the same way.
func parkedConns(state, method string) []string {
	re := regexp.MustCompile(`jabberd/transport\.\(\*Conn\)\.` + method + `\((0x[0-9a-f]+)`)
	var out []string
	for _, g := range strings.Split(stack(), "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		if !strings.Contains(header, "["+state) {
			continue
		}
		if m := re.FindStringSubmatch(g); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// waitParked waits until the connection conn has a goroutine parked in
// state in method.
func waitParked(t *testing.T, conn, state, method, what string) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !slices.Contains(parkedConns(state, method), conn) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s (a goroutine of connection %s parked in %q in (*transport.Conn).%s):\n%s", ioTimeout, what, conn, state, method, stack())
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSenders waits until every load sender had loadStopAfter pings
// answered; they go on writing. A loaded machine may take its time: what
// fails is no ping answered for 2*ioTimeout (a hang), not a slow run.
func (r *restartRun) waitSenders() {
	t := r.t
	answered := func() (n int) {
		for _, s := range r.ss[:loadSenders] {
			s.mu.Lock()
			n += s.answered
			s.mu.Unlock()
		}
		return n
	}
	last, lastAt := 0, time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for range loadSenders {
		for waiting := true; waiting; {
			select {
			case <-r.ready:
				waiting = false
			case <-tick.C:
				if n := answered(); n != last {
					last, lastAt = n, time.Now()
				} else if time.Since(lastAt) > 2*ioTimeout {
					t.Fatalf("no ping answered for %v (%d answered of the %d the senders wait for)", 2*ioTimeout, n, loadSenders*loadStopAfter)
				}
			}
		}
	}
	t.Logf("the senders had %d pings answered each %v after the first server started", loadStopAfter, time.Since(r.began).Round(time.Millisecond))
}

// waitGroup waits for wg, failing the test after 2*ioTimeout (every client
// read and write has an ioTimeout deadline, so this is a hang).
func waitGroup(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * ioTimeout):
		t.Fatalf("the %s did not finish within %v", what, 2*ioTimeout)
	}
}
