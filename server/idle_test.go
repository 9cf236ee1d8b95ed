package server_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/server"
	"jabberd/transport"
)

// Idle sessions wait for their client's next burst without a goroutine:
// parked in transport's poller (transport.AwaitInput), taken up by a new
// goroutine on input, the idle deadline, a stop, a replacement or a kill.
// These tests hold the properties that must survive it.

// holdConn is the client's socket with a switch: while held, writes are
// kept and then sent in one write, so that the server reads several TLS
// records at once.
type holdConn struct {
	net.Conn
	mu   sync.Mutex
	held bool
	buf  []byte
}

func (c *holdConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *holdConn) hold() { c.mu.Lock(); c.held = true; c.mu.Unlock() }

func (c *holdConn) flush(t testing.TB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = false
	if _, err := c.Conn.Write(c.buf); err != nil {
		t.Fatalf("flush: %v", err)
	}
	c.buf = nil
}

// waitPolled waits until n bound sessions of h are parked: idle past the
// idle grace, handed to the poller, with no goroutine of their own.
func waitPolled(t testing.TB, h *harness, n int) {
	t.Helper()
	if runtime.GOOS != "linux" {
		// No poller: the sessions wait in their shallow frame instead.
		time.Sleep(2 * transport.DefaultIdleGrace)
		return
	}
	deadline := time.Now().Add(ioTimeout)
	for server.Parked(h.set.Server) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions parked after %v, want %d (idle grace %v)", server.Parked(h.set.Server), ioTimeout, n, transport.DefaultIdleGrace)
		}
		time.Sleep(time.Millisecond)
	}
}

// connGoroutines returns the stacks of the goroutines that serve a
// connection (under the XMPP driver or the connection core), not the
// poller's own.
func connGoroutines() []string {
	buf := make([]byte, 4<<20)
	n := runtime.Stack(buf, true)
	var gs []string
	for _, g := range strings.Split(string(buf[:n]), "\n\n") {
		if strings.Contains(g, "transport.(*poller).run") {
			continue
		}
		if strings.Contains(g, "jabberd/server.(*conn)") || strings.Contains(g, "jabberd/transport.(*Conn)") {
			gs = append(gs, g)
		}
	}
	return gs
}

// TestIdleSessionsHaveNoGoroutine: bound sessions with nothing to read are
// parked once the idle grace has passed, and none keeps a goroutine (each
// kept one, with a 4 KiB stack at the least, before); they still answer.
func TestIdleSessionsHaveNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sessions are parked without a goroutine on Linux only (epoll)")
	}
	const n = 20
	h := start(t, nil)
	base := busyGoroutines()
	clients := make([]*chatClient, n)
	for i := range clients {
		clients[i] = h.login(t, "alice", fmt.Sprintf("r%d", i))
	}
	waitPolled(t, h, n)
	if gs := connGoroutines(); len(gs) != 0 {
		t.Errorf("%d goroutines serve connections with %d sessions parked, want none:\n%s", len(gs), n, strings.Join(gs, "\n\n"))
	}
	if grown := busyGoroutines() - base; grown >= n {
		t.Errorf("%d idle sessions added %d goroutines, want fewer than one each", n, grown)
	}
	for _, c := range clients {
		c.ping()
	}
	waitPolled(t, h, n)
}

// TestBurstAfterIdle: after the session went quiet (its transcript
// packed), stanzas that arrive as several TLS records in one TCP write are
// all answered — the second record sits in crypto/tls's buffer, not in the
// socket, once the first is parsed — and so is a stanza split across two
// writes with a pause between; the transcript reads back the login and the
// burst in order.
func TestBurstAfterIdle(t *testing.T) {
	h := start(t, nil)
	c := h.dialChat(t, "alice")
	hc := &holdConn{Conn: c.tcp}
	c.tcp, c.conn = hc, hc
	alice := h.loginOn(t, c, "a")
	waitPolled(t, h, 1)
	tr := liveTranscript(t, h, alice.remote)
	waitFor(t, "the transcript packed", func() bool { return tr.Packed() > 0 })

	hc.hold()
	alice.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	alice.send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
	hc.flush(t)
	alice.expect("<iq id='p1' type='result' from='alice@localhost' to='" + alice.jid + "'/>")
	alice.expect("<iq id='p2' type='result' from='alice@localhost' to='" + alice.jid + "'/>")

	waitPolled(t, h, 1)
	alice.send("<iq type='get' id='p3'><ping xmlns='urn:x")
	time.Sleep(50 * time.Millisecond)
	alice.send("mpp:ping'/></iq>")
	alice.expect("<iq id='p3' type='result' from='alice@localhost' to='" + alice.jid + "'/>")

	var in []string
	for _, r := range tr.Records() {
		if r.Dir == lab.DirIn {
			in = append(in, r.Data)
		}
	}
	got := strings.Join(in, "\n")
	for _, want := range []string{"<starttls", "mechanism='PLAIN'", "<bind", "id='p1'", "id='p2'", "id='p3'"} {
		i := strings.Index(got, want)
		if i < 0 {
			t.Fatalf("the transcript lacks %q after packing:\n%s", want, got)
		}
		got = got[i:]
	}
}

// TestIdleTimeoutWhileParked: a session parked in its idle wait still
// ends at limits.idle_timeout, with connection-timeout.
func TestIdleTimeoutWhileParked(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Limits.IdleTimeout = config.Duration{Duration: 1500 * time.Millisecond} })
	alice := h.login(t, "alice", "a")
	waitPolled(t, h, 1)
	t0 := time.Now()
	if got := streamErrorOf(alice.drain(nil)); got != "connection-timeout" {
		t.Fatalf("an idle session ended with %q, want connection-timeout", got)
	}
	if d := time.Since(t0); d > ioTimeout {
		t.Fatalf("the idle timeout took %v", d)
	}
}

// TestShutdownEndsParkedSessions: Shutdown reaches a bound session parked
// in its idle wait at once (system-shutdown), like one parked in a read.
func TestShutdownEndsParkedSessions(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	waitPolled(t, h, 1)
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	go func() { _ = h.shutdown(ctx) }()
	if got := streamErrorOf(alice.drain(nil)); got != "system-shutdown" {
		t.Fatalf("a parked session ended with %q, want system-shutdown", got)
	}
}

// streamErrorOf is the condition of the stream error that ended a
// drained stream, or how it ended without one.
func streamErrorOf(els []*etree.Element, end string) string {
	if n := len(els); n > 0 && els[n-1].Tag == "error" && len(els[n-1].ChildElements()) > 0 && end == "close" {
		return els[n-1].ChildElements()[0].Tag
	}
	return "no stream error: " + end
}

// liveTranscript is the live transcript of the connection whose client
// end is remote.
func liveTranscript(t testing.TB, h *harness, remote string) *lab.Transcript {
	t.Helper()
	for _, s := range h.set.Lab.List() {
		if s.Live && s.Remote == remote {
			if tr, ok := h.set.Lab.Get(s.ID); ok {
				return tr
			}
		}
	}
	t.Fatalf("no live transcript for %s", remote)
	return nil
}

// waitFor polls cond for up to ioTimeout (nothing signals a transcript
// being packed).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v (idle grace %v)", what, ioTimeout, transport.DefaultIdleGrace)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReplaceParkedSession: a new login with the same full JID reaches the
// parked session at once: it resumes, says conflict and closes.
func TestReplaceParkedSession(t *testing.T) {
	h := start(t, nil)
	first := h.login(t, "alice", "desk")
	waitPolled(t, h, 1)
	second := h.login(t, "alice", "desk")
	if got := streamErrorOf(first.drain(nil)); got != "conflict" {
		t.Fatalf("the parked session ended with %q, want conflict", got)
	}
	second.ping()
}

// TestPanicAfterParkEndsOnlyItsConnection: a panic on the goroutine that
// took a parked session up is recovered there and ends that connection
// only, with the log line and stack of any other panic.
func TestPanicAfterParkEndsOnlyItsConnection(t *testing.T) {
	h := startPanicking(t)
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	waitPolled(t, h, 2)
	alice.send("<panic/>")
	if _, end := alice.drain(nil); end == "close" {
		t.Fatalf("after the panic the stream was closed properly; want the socket cut")
	}
	e := h.logs.wait(t, h.chatMatch(alice, panicMsg))
	if st := e.Str("stack"); !strings.Contains(st, "(*Conn).resume") {
		t.Errorf("the panic's stack is not the resumed goroutine's:\n%s", st)
	}
	h.waitConnCount(t, 1)
	bob.ping()
}

// TestWhitespaceKeepsSessionAlive: limits.idle_timeout is the silence
// allowed. A client that sends only whitespace keepalives (RFC 6120
// §4.6.1), each well within it, keeps its session past it; once it falls
// silent, the session ends with connection-timeout after it.
func TestWhitespaceKeepsSessionAlive(t *testing.T) {
	const idle = 3 * time.Second
	h := start(t, func(c *config.Config) { c.Limits.IdleTimeout = config.Duration{Duration: idle} })
	alice := h.login(t, "alice", "a")
	t0 := time.Now()
	for time.Since(t0) < 2*idle {
		time.Sleep(500 * time.Millisecond)
		alice.send(" ")
	}
	alice.ping()
	if got := streamErrorOf(alice.drain(nil)); got != "connection-timeout" {
		t.Fatalf("a session silent after its keepalives ended with %q, want connection-timeout", got)
	}
}

// TestKeepaliveParksAgain: a whitespace keepalive wakes a parked session,
// which takes it and parks again after the idle grace, instead of waiting
// in the XML decoder (with a goroutine and its deep stack) for the next
// element; the session still answers, and what it reads after the
// keepalives is parsed at the right offsets (the transcript's event ends).
func TestKeepaliveParksAgain(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sessions are parked on Linux only (epoll)")
	}
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	waitPolled(t, h, 1)
	for range 2 {
		alice.send(" \n")
		time.Sleep(transport.DefaultIdleGrace / 4)
		waitPolled(t, h, 1)
		if gs := connGoroutines(); len(gs) != 0 {
			t.Fatalf("after a keepalive %d goroutines serve the session, want none:\n%s", len(gs), strings.Join(gs, "\n\n"))
		}
	}
	alice.ping()
	waitPolled(t, h, 1)
}

// TestSlowStanzaKeepsSessionAlive: a stanza that arrives in pieces, each
// well within limits.idle_timeout but all of them together past it, is not
// silence: the session reads it whole and answers (the deadline is armed
// again after each read that brought bytes, server/keepalive.go).
func TestSlowStanzaKeepsSessionAlive(t *testing.T) {
	const idle = 2 * time.Second
	h := start(t, func(c *config.Config) { c.Limits.IdleTimeout = config.Duration{Duration: idle} })
	alice := h.login(t, "alice", "a")
	alice.send("<iq type='get' id='slow' to='localhost'><ping xmlns='" + nsPing + "'/>")
	for t0 := time.Now(); time.Since(t0) < 2*idle; {
		time.Sleep(idle / 4)
		alice.send(" ")
	}
	alice.send("</iq>")
	alice.expect("<iq id='slow' type='result' from='localhost' to='alice@localhost/a'/>")
}
