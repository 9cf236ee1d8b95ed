package server_test

// Helpers of TestRestartUnderMessageLoad (faults_restart_test.go): the
// senders' records, the filler's padding, finding connection goroutines
// parked in a given state in a goroutine dump, and waiting for workers.

import (
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- restart under load ----

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
// status in a goroutine dump, like "IO wait") with method (of *conn, like
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
