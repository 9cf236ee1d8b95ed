package server_test

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/transport"
)

// Idle sessions wait for their client's next burst in a shallow frame
// (transport.AwaitInput), not in the XML decoder: these tests hold the
// properties that must survive it.

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

// idleStack waits until the connection goroutine of a bound session is
// parked in its idle wait on the socket (after the idle grace) and returns
// its stack.
func idleStack(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		for _, g := range strings.Split(string(buf[:n]), "\n\n") {
			if strings.Contains(g, "[IO wait") && strings.Contains(g, "jabberd/server.(*conn).awaitInput(") && strings.Contains(g, "transport.waitReadable") {
				return g
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection goroutine parked in awaitInput's socket wait after %v:\n%s", ioTimeout, buf[:n])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestIdleSessionParksShallow: a bound session with nothing to read parks,
// once the idle grace has passed, on its socket outside the XML decoder
// and crypto/tls (whose frames kept every idle session's stack at 8 KiB).
func TestIdleSessionParksShallow(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	alice.ping()
	g := idleStack(t)
	for _, deep := range []string{"encoding/xml", "crypto/tls", "stream.(*Reader).Next"} {
		if strings.Contains(g, deep) {
			t.Errorf("the idle session is parked under %s:\n%s", deep, g)
		}
	}
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
	idleStack(t)
	tr := liveTranscript(t, h, alice.remote)
	waitFor(t, "the transcript packed", func() bool { return tr.Packed() > 0 })

	hc.hold()
	alice.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>")
	alice.send("<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>")
	hc.flush(t)
	alice.expect("<iq id='p1' type='result' from='alice@localhost' to='" + alice.jid + "'/>")
	alice.expect("<iq id='p2' type='result' from='alice@localhost' to='" + alice.jid + "'/>")

	idleStack(t)
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
	idleStack(t)
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
	idleStack(t)
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
