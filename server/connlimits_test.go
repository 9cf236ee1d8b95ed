package server_test

import (
	"strings"
	"testing"
	"time"

	"jabberd/config"
)

// TestTotalConnectionLimit: past limits.max_connections a new connection
// gets a resource-constraint stream error saying so, the refusal is logged
// (the connection's closing reason, and the pool's warning once), and the
// per-IP limit's policy-violation is unchanged for its own case.
func TestTotalConnectionLimit(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Limits.MaxConns = 2
		c.Limits.MaxConnsPerIP = 0
	})
	a, b := h.dial(t), h.dial(t)
	a.legacyOpen()
	b.legacyOpen()

	over := h.dial(t)
	over.expectHeader(errorHeader)
	over.expect(streamError("resource-constraint", "the server has too many connections (limit 2)"))
	over.expectClosed()
	if r := h.logs.wait(t, h.connMatch(over, "closing")).Str("reason"); r != "resource-constraint: the server has too many connections (limit 2)" {
		t.Errorf("closing reason %q", r)
	}
	h.logs.wait(t, match{msg: "connection limit reached; refusing new connections (limits.max_connections)"})

	a.send(closeTag)
	a.expect(closeTag)
	a.expectClosed()
	h.waitConnCount(t, 1)
	d := h.dial(t)
	d.legacyOpen() // admitted again: a header with the echo, not an error
}

// TestRateLimitKeepsNegotiationTimeout: a client throttled by
// limits.max_bytes_per_second is slowed, and the negotiation deadline still
// ends it on time (the wait for tokens never stretches it): at 20 bytes/s a
// 2000-byte header would take over a minute to read.
func TestRateLimitKeepsNegotiationTimeout(t *testing.T) {
	const timeout = 500 * time.Millisecond
	h := start(t, func(c *config.Config) {
		c.Limits.NegotiationTimeout.Duration = timeout
		c.Limits.MaxBytesPerSecond = 20
		c.Limits.MaxBytesBurst = 20
	})
	// The server's deadline runs from its accept, which can come before
	// dial returns here: the clock starts before the dial, or a loaded
	// machine that delays this goroutine makes the cut look early.
	began := time.Now()
	c := h.dial(t)
	c.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' x='" + strings.Repeat("a", 2000) + "'>")
	c.expectHeader(errorHeader)
	c.expect(streamError("connection-timeout", "no data while waiting for stream negotiation to finish"))
	c.expectClosed()
	if elapsed := time.Since(began); elapsed < timeout {
		t.Errorf("cut after %v, before the negotiation timeout", elapsed)
	}
}

// TestRateLimitedLogin: a whole login (STARTTLS, TLS handshake, stream
// restart) works through the rate limit: TLS reads the socket through it.
func TestRateLimitedLogin(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Limits.MaxBytesPerSecond = 4096
		c.Limits.MaxBytesBurst = 1024
	})
	c := h.dial(t)
	_, _, cs := c.legacyUpgrade(h.tlsConfig(nil))
	if !cs.HandshakeComplete {
		t.Fatal("no TLS")
	}
}
