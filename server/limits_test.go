package server_test

// End-to-end behaviour at the edges: abandoned and stalled handshakes,
// deadlines, listener policy, shutdown, the per-IP limit and bad input.

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/internal/workers"
	"jabberd/tlspolicy"
)

// busyGoroutines counts the goroutines that are not kept waiting for a
// job (internal/workers keeps a few for the next connection).
func busyGoroutines() int { return runtime.NumGoroutine() - workers.Idle() }

// waitGoroutines polls until the number of busy goroutines is back to base
// (at most 2s; goroutine exit has no event to wait on).
func waitGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		n := busyGoroutines()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("%d goroutines 2s after the client left, baseline %d:\n%s", n, base, b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Case 6a: a client that leaves in the middle of the handshake leaves no
// goroutine and no connection behind.
func TestAbandonedHandshakeLeavesNothingBehind(t *testing.T) {
	h := start(t, nil)
	hello := clientHello(t, h.tlsConfig(nil))
	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"half a ClientHello", hello[:len(hello)/2]},
		{"nothing", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := busyGoroutines()
			c := h.dial(t)
			c.legacyOpen()
			c.send(legacyStartTLS)
			c.expect(closeTag)
			if len(tc.send) > 0 {
				c.send(string(tc.send))
			}
			c.tcp.Close()

			fail := h.logs.wait(t, h.connMatch(c, "TLS upgrade failed"))
			if e := fail.Str("error"); !strings.HasPrefix(e, "TLS handshake: ") || !strings.Contains(e, "EOF") {
				t.Errorf("TLS upgrade failed error %q, want the handshake's EOF", e)
			}
			if n, ok := fail.Num("early_bytes"); !ok || n != 0 {
				t.Errorf("early_bytes %v, want 0 (nothing followed the request in its write)", fail["early_bytes"])
			}
			if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); !strings.HasPrefix(r, "TLS handshake failed: ") {
				t.Errorf("closing reason %q", r)
			}
			h.waitConnCount(t, 0)
			waitGoroutines(t, base)
		})
	}
}

// Case 6b: a client that goes silent in the middle of the handshake is cut
// by limits.handshake_timeout.
func TestStalledHandshakeIsCut(t *testing.T) {
	const timeout = 300 * time.Millisecond
	h := start(t, func(c *config.Config) { c.Limits.HandshakeTimeout.Duration = timeout })
	hello := clientHello(t, h.tlsConfig(nil))
	base := busyGoroutines()

	c := h.dial(t)
	c.legacyOpen()
	c.send(legacyStartTLS)
	c.expect(closeTag)
	began := time.Now()
	c.send(string(hello[:len(hello)/2]))

	got, err := c.readUntilClosed()
	elapsed := time.Since(began)
	if got != "" || err != io.EOF {
		t.Errorf("stalled handshake: server sent %q and ended with %v, want nothing and EOF", got, err)
	}
	// The server's clock starts when it has written </stream:stream>, a
	// little before the client reads it and starts its own: allow that.
	if elapsed < timeout-50*time.Millisecond {
		t.Errorf("cut after %v, before the handshake timeout of %v", elapsed, timeout)
	}
	fail := h.logs.wait(t, h.connMatch(c, "TLS upgrade failed"))
	if e := fail.Str("error"); !strings.HasPrefix(e, "TLS handshake: ") ||
		!(strings.Contains(e, "timeout") || strings.Contains(e, "deadline exceeded")) {
		t.Errorf("TLS upgrade failed error %q, want a timeout", e)
	}
	h.waitConnCount(t, 0)
	waitGoroutines(t, base)
}

// Case 7: limits.negotiation_timeout bounds the whole negotiation, not each
// read: a silent client and one dripping a byte every 100ms are both cut.
func TestNegotiationTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	want := errorHeader + streamError("connection-timeout", "no data while waiting for stream negotiation to finish")

	t.Run("silent", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Limits.NegotiationTimeout.Duration = timeout })
		began := time.Now()
		c := h.dial(t)
		c.expectHeader(errorHeader)
		c.expect(want[len(errorHeader):])
		c.expectClosed()
		if elapsed := time.Since(began); elapsed < timeout {
			t.Errorf("timed out after %v, before %v", elapsed, timeout)
		}
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "connection-timeout: no data while waiting for stream negotiation to finish" {
			t.Errorf("closing reason %q", r)
		}
		h.waitConnCount(t, 0)
	})

	t.Run("drip", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Limits.NegotiationTimeout.Duration = timeout })
		began := time.Now()
		c := h.dial(t)
		// The header takes ~15s at this pace; a per-read deadline would
		// never fire.
		var written atomic.Int32
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for i := 0; i < len(legacyHeader); i++ {
				_ = c.tcp.SetWriteDeadline(time.Now().Add(ioTimeout))
				if _, err := c.tcp.Write([]byte{legacyHeader[i]}); err != nil {
					return
				}
				written.Add(1)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		defer func() { close(stop); <-done }()

		got, err := c.readUntilClosed()
		elapsed := time.Since(began)
		if got != strings.Replace(want, "{ID}", idOf(got), 1) {
			t.Errorf("server sent %q, want %q", got, want)
		}
		// The client may still be writing when the server closes: a reset
		// after all the data is as good as a FIN here.
		if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("connection ended with %v", err)
		}
		if elapsed < timeout || elapsed > 2*time.Second {
			t.Errorf("dripping client cut after %v, want at the %v deadline", elapsed, timeout)
		}
		if n := written.Load(); n < 2 {
			t.Errorf("only %d bytes dripped before the cut; the test did not exercise a slow client", n)
		}
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "connection-timeout: no data while waiting for stream negotiation to finish" {
			t.Errorf("closing reason %q", r)
		}
	})

	// Each step comes well within the timeout, but the negotiation as a
	// whole does not: the deadline is the end of the negotiation, set at
	// accept and kept across the TLS upgrade, not a per-read idle timer.
	// The pauses are the slow client under test, not synchronization.
	t.Run("slow steps", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Limits.NegotiationTimeout.Duration = timeout })
		began := time.Now()
		c := h.dial(t)
		c.legacyOpen()
		time.Sleep(timeout * 2 / 3)
		c.send(legacyStartTLS)
		c.expect(closeTag)
		c.upgrade(h.tlsConfig(nil))
		time.Sleep(timeout * 2 / 3)
		if time.Since(began) < timeout {
			t.Fatalf("the client was not slow enough to test anything")
		}
		// The deadline has passed: the server has already ended the stream
		// over TLS (with a header of its own, the client sent none), and
		// this header comes too late to be answered.
		c.send(legacyHeader)
		got, err := c.readUntilClosed()
		if want := legacyErrorHeader +
			streamError("connection-timeout", "no data while waiting for stream negotiation to finish"); got != strings.Replace(want, "{ID}", idOf(got), 1) {
			t.Errorf("over TLS the server sent\n  %q\nwant\n  %q", got, want)
		}
		// The late header may meet a closed socket: a reset after all the
		// data is a close too.
		if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("connection ended with %v", err)
		}
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "connection-timeout: no data while waiting for stream negotiation to finish" {
			t.Errorf("closing reason %q", r)
		}
		if n := len(h.logs.all(t, h.connMatch(c, "stream opened"))); n != 1 {
			t.Errorf("%d streams opened, want 1 (the late header must not open one)", n)
		}
	})
}

// idOf returns the stream id in s, "" if none.
func idOf(s string) string {
	if m := streamIDRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// Case 8: listener policy.
func TestListenerPolicy(t *testing.T) {
	t.Run("required refuses an iq before STARTTLS", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Listen[0].TLS = tlspolicy.Required })
		c := h.dial(t)
		c.legacyOpen()
		c.send("<iq type='get' id='a1'><query xmlns='jabber:iq:auth'><username>rob</username></query></iq>")
		c.expect(streamError("policy-violation", "TLS is required on this server: send STARTTLS before &lt;iq/&gt;"))
		c.expectClosed()
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "policy-violation: TLS is required on this server: send STARTTLS before <iq/>" {
			t.Errorf("closing reason %q", r)
		}
	})
	t.Run("required still upgrades", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Listen[0].TLS = tlspolicy.Required })
		c := h.dial(t)
		id1, id2, cs := c.legacyUpgrade(h.tlsConfig(nil))
		c.send(closeTag)
		c.expect(closeTag)
		c.expectClosed()
		checkEstablished(t, h.logs.wait(t, h.connMatch(c, "TLS established")), cs, 0)
		checkOpened(t, h, c, "legacy", []string{id1, id2}, []string{"plaintext", "tls"})
	})
	t.Run("disabled refuses STARTTLS", func(t *testing.T) {
		h := start(t, func(c *config.Config) { c.Listen[0].TLS = tlspolicy.Disabled })
		c := h.dial(t)
		c.send(legacyHeader)
		c.expectHeader(legacyAnswer) // no xmlns:tls echo
		c.send(legacyStartTLS)
		c.expect(streamError("policy-violation", "STARTTLS is not available on this listener"))
		c.expectClosed()
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "policy-violation: STARTTLS is not available on this listener" {
			t.Errorf("closing reason %q", r)
		}
		if n := len(h.logs.all(t, h.connMatch(c, "TLS upgrade failed"))) + len(h.logs.all(t, h.connMatch(c, "TLS established"))); n != 0 {
			t.Errorf("a TLS upgrade was attempted on a disabled listener")
		}
	})
}

// Case 9: Shutdown ends every stream with system-shutdown, returns nil and
// closes the door.
func TestShutdownEndsStreams(t *testing.T) {
	h := start(t, nil)
	plain := h.dial(t)
	plain.legacyOpen()
	secure := h.dial(t)
	secure.legacyUpgrade(h.tlsConfig(nil))
	if n := h.set.Server.ConnCount(); n != 2 {
		t.Fatalf("ConnCount = %d before Shutdown, want 2", n)
	}
	// Both servers are blocked reading; see the report on conn.read for
	// why a stop arriving between two reads is not tested here.
	h.waitParkedReaders(t, 2)

	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	result := make(chan error, 1)
	go func() { result <- h.shutdown(ctx) }()

	// Shutdown returns once every connection has ended its stream; the
	// clients need not read for that (the error fits in socket buffers).
	select {
	case err := <-result:
		if err != nil {
			t.Errorf("Shutdown = %v, want nil", err)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Shutdown did not return")
	}
	if n := h.set.Server.ConnCount(); n != 0 {
		t.Errorf("ConnCount = %d when Shutdown returned, want 0", n)
	}
	want := streamError("system-shutdown", "the server is shutting down")
	for name, c := range map[string]*client{"plaintext": plain, "tls": secure} {
		got, err := c.readUntilClosed()
		if got != want || err != io.EOF {
			t.Errorf("%s stream: got %q then %v, want %q then EOF", name, got, err, want)
		}
	}
	if e := h.logs.wait(t, match{msg: "shutting down"}); e["connections"] != float64(2) {
		t.Errorf("shutting down: connections = %v, want 2", e["connections"])
	}
	for _, c := range []*client{plain, secure} {
		if r := h.logs.wait(t, h.connMatch(c, "closing")).Str("reason"); r != "system-shutdown: the server is shutting down" {
			t.Errorf("closing reason %q", r)
		}
	}
	nc, err := net.DialTimeout("tcp", h.addr, ioTimeout)
	if err == nil {
		nc.Close()
		t.Fatal("a new connection was accepted after Shutdown")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after Shutdown: %v, want connection refused", err)
	}
}

// Case 9b: Shutdown does not wait out a handshake in progress (the default
// handshake_timeout is 10s, longer than the grace given here): the handshake
// is cancelled and the connection closed, and Shutdown still returns nil.
func TestShutdownCancelsHandshake(t *testing.T) {
	h := start(t, nil)
	c := h.dial(t)
	c.legacyOpen()
	c.send(legacyStartTLS)
	c.expect(closeTag)
	// The server now waits for a ClientHello that does not come.

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	if err := h.shutdown(ctx); err != nil {
		t.Errorf("Shutdown = %v after %v, want nil (the handshake should be cancelled)", err, time.Since(began))
	}
	if n := h.set.Server.ConnCount(); n != 0 {
		t.Errorf("ConnCount = %d when Shutdown returned, want 0", n)
	}
	c.expectClosed() // no XML: the XML stream was already closed
	fail := h.logs.wait(t, h.connMatch(c, "TLS upgrade failed"))
	if e := fail.Str("error"); !strings.HasPrefix(e, "TLS handshake: ") {
		t.Errorf("TLS upgrade failed error %q", e)
	}
}

// Case 10: limits.max_connections_per_ip.
func TestPerIPLimit(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Limits.MaxConnsPerIP = 2 })
	a, b := h.dial(t), h.dial(t)
	a.legacyOpen()
	b.legacyOpen()

	over := h.dial(t)
	over.expectHeader(errorHeader)
	over.expect(streamError("policy-violation", "too many connections from 127.0.0.1 (limit 2)"))
	over.expectClosed()
	if r := h.logs.wait(t, h.connMatch(over, "closing")).Str("reason"); r != "policy-violation: too many connections from 127.0.0.1 (limit 2)" {
		t.Errorf("closing reason %q", r)
	}

	a.send(closeTag)
	a.expect(closeTag)
	a.expectClosed()
	h.waitConnCount(t, 1) // a and the refused one are forgotten

	d := h.dial(t)
	d.legacyOpen() // accepted: a header with the echo, not an error
	if n := h.set.Server.ConnCount(); n != 2 {
		t.Errorf("ConnCount = %d, want 2 (b and d)", n)
	}
	b.send(closeTag)
	b.expect(closeTag)
	d.send(closeTag)
	d.expect(closeTag)
}

// Case 11: bad input ends only its own stream, with the matching error,
// while a connection opened before completes an upgrade.
func TestBadInputDoesNotDisturbOthers(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Limits.MaxStanzaBytes = 1024
		c.Limits.MaxDepth = 4
	})
	good := h.dial(t)
	goodID := good.legacyOpen()

	t.Run("bad", func(t *testing.T) {
		for _, tc := range []struct {
			name, send, want, condition string
		}{
			{"dtd", "<!DOCTYPE foo [<!ENTITY x 'y'>]><foo/>",
				streamError("restricted-xml", "a DTD or other &lt;!…&gt; declaration is not allowed in XMPP"), "restricted-xml"},
			{"garbage", "hello<message/>",
				streamError("bad-format", `text outside of any element: "hello"`), "bad-format"},
			{"malformed", "<message><body></message>",
				streamError("not-well-formed", "&lt;/message&gt; does not close &lt;body&gt;"), "not-well-formed"},
			{"oversize", "<message><body>" + strings.Repeat("x", 1100) + "</body></message>",
				streamError("policy-violation", "an element is larger than the limit of 1024 bytes"), "policy-violation"},
			{"too deep", "<a><b><c><d><e/></d></c></b></a>",
				streamError("policy-violation", "elements nested deeper than 4 levels"), "policy-violation"},
			// Far more than the server reads before it gives up: it closes
			// with input unread, which the kernel turns into a reset.
			{"oversize, still sending", "<message><body>" + strings.Repeat("x", 64<<10) + "</body></message>",
				streamError("policy-violation", "an element is larger than the limit of 1024 bytes"), "policy-violation"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := h.dial(t)
				c.legacyOpen()
				if len(tc.send) <= 2048 {
					c.send(tc.send)
					c.expect(tc.want)
					c.expectClosed()
				} else {
					// The write may fail once the server has closed.
					_ = c.tcp.SetWriteDeadline(time.Now().Add(ioTimeout))
					_, _ = io.WriteString(c.tcp, tc.send)
					got, err := c.readUntilClosed()
					if got != tc.want {
						t.Errorf("server sent %q, want %q", got, tc.want)
					}
					// The answer must arrive whole; a reset after it (the
					// unread input) is tolerated here, see the report.
					if err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
						t.Errorf("connection ended with %v", err)
					}
				}
				e := h.logs.wait(t, h.connMatch(c, "bad input from client"))
				if e.Str("condition") != tc.condition || e.Str("text") == "" {
					t.Errorf("bad input logged as %s, want condition %q with text", e, tc.condition)
				}
			})
		}
	})

	good.send(legacyStartTLS)
	good.expect(closeTag)
	cs := good.upgrade(h.tlsConfig(nil))
	good.send(legacyHeader)
	id2 := good.expectHeader(legacyAnswer)
	good.send(closeTag)
	good.expect(closeTag)
	good.expectClosed()
	checkEstablished(t, h.logs.wait(t, h.connMatch(good, "TLS established")), cs, 0)
	checkOpened(t, h, good, "legacy", []string{goodID, id2}, []string{"plaintext", "tls"})
	h.waitConnCount(t, 0)
}
