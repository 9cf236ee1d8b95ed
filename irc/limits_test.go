package irc_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"jabberd/app"
	"jabberd/config"
	"jabberd/irc"
	"jabberd/tlspolicy"
)

// TestIRCOffByDefault: the embedded default has no IRC listener.
func TestIRCOffByDefault(t *testing.T) {
	cfg := config.Default()
	if cfg.IRC.Enabled || cfg.IRC.Address != ":6667" || cfg.IRC.TLS != tlspolicy.Optional {
		t.Fatalf("default [irc] = %+v, want off on :6667 with tls optional", cfg.IRC)
	}
	cfg.StateDir = t.TempDir()
	set, err := app.FromConfig(cfg, discard())
	if err != nil {
		t.Fatal(err)
	}
	defer set.Store.Close()
	if set.IRC != nil {
		t.Fatalf("an IRC listener was built although irc.enabled = false")
	}
}

// TestIRCLineTooLong: 417, and the connection goes on.
func TestIRCLineTooLong(t *testing.T) {
	h := start(t, nil, nil)
	c := h.dial(t)
	c.register("alice")
	c.send("PRIVMSG nobody :" + strings.Repeat("x", 495))
	c.expect(":localhost 417 alice :Input line was too long")
	c.send("PRIVMSG nobody :" + strings.Repeat("x", 20000))
	c.expect(":localhost 417 alice :Input line was too long")
	if extra := c.sync(); len(extra) != 0 {
		t.Errorf("after the long lines: %q", extra)
	}
}

// TestIRCFlood: more lines than the bucket holds, at once, end the
// connection with ERROR; the answers to the lines within it come first.
func TestIRCFlood(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.IRC.FloodBurst, cfg.IRC.FloodRate = 5, 1 }, nil)
	c := h.dial(t)
	lines := make([]string, 20)
	for i := range lines {
		lines[i] = "PING :p"
	}
	c.send(lines...)
	got, err := c.readUntilClosed()
	if err != io.EOF {
		t.Errorf("ended with %v, want EOF", err)
	}
	// Five at once; a sixth only if a second passed while reading (the
	// exact burst is TestTokenBucket's); never all twenty.
	pongs := 0
	for pongs < len(got) && got[pongs] == ":localhost PONG localhost :p" {
		pongs++
	}
	if pongs < 5 || pongs > 6 || !slices.Equal(got[pongs:], []string{"ERROR :Closing link: 127.0.0.1 (Excess flood)"}) {
		t.Errorf("got %q, want 5 PONGs then ERROR ... (Excess flood)", got)
	}
	h.logs.wait(t, fields{"message": "closing", "conn": c.id, "reason": "Excess flood"})
}

// TestIRCTimeouts: registration has a deadline; a registered client that
// is silent gets PING, and is closed when it does not answer.
func TestIRCTimeouts(t *testing.T) {
	h := start(t, func(cfg *config.Config) {
		cfg.IRC.RegistrationTimeout = config.Duration{Duration: 300 * time.Millisecond}
		cfg.IRC.IdleTimeout = config.Duration{Duration: 300 * time.Millisecond}
		cfg.IRC.PingTimeout = config.Duration{Duration: 200 * time.Millisecond}
	}, nil)
	t.Run("registration", func(t *testing.T) {
		c := h.dial(t)
		c.send("NICK slow")
		got, err := c.readUntilClosed()
		if err != io.EOF || !slices.Equal(got, []string{"ERROR :Closing link: 127.0.0.1 (Registration timeout: 0.3 seconds)"}) {
			t.Errorf("got %q then %v", got, err)
		}
	})
	t.Run("ping", func(t *testing.T) {
		c := h.dial(t)
		c.register("idle")
		c.expect("PING :localhost")
		c.send("PONG :localhost")
		c.expect("PING :localhost") // answered: the client stays, and is asked again
		got, err := c.readUntilClosed()
		if err != io.EOF || !slices.Equal(got, []string{"ERROR :Closing link: 127.0.0.1 (Ping timeout: 0.5 seconds)"}) {
			t.Errorf("got %q then %v", got, err)
		}
	})
}

// TestIRCShutdown: Shutdown (SIGTERM in the binary) ends IRC connections
// with ERROR too.
func TestIRCShutdown(t *testing.T) {
	h := start(t, nil, nil)
	reg, unreg := h.dial(t), h.dial(t)
	reg.register("alice")
	unreg.send("CAP LS")
	unreg.expect(":localhost CAP * LS :away-notify multi-prefix server-time cap-notify sasl tls")
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	if err := h.set.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, c := range []*client{reg, unreg} {
		got, err := c.readUntilClosed()
		if err != io.EOF || !slices.Equal(got, []string{"ERROR :Closing link: 127.0.0.1 (Server shutting down)"}) {
			t.Errorf("got %q then %v", got, err)
		}
	}
	if n := h.set.IRC.ConnCount(); n != 0 {
		t.Errorf("%d connections after Shutdown", n)
	}
}

// TestIRCConnectionsPerIP: over limits.max_connections_per_ip a connection
// is told so and closed.
func TestIRCConnectionsPerIP(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.Limits.MaxConnsPerIP = 1 }, nil)
	first := h.dial(t)
	second := h.dial(t)
	got, err := second.readUntilClosed()
	if err != io.EOF || !slices.Equal(got, []string{"ERROR :Closing link: 127.0.0.1 (Too many connections from 127.0.0.1 (limit 1))"}) {
		t.Errorf("got %q then %v", got, err)
	}
	first.register("first")
}

const panicMsg = "connection handler panicked; connection closed"

// TestIRCPanicEndsOnlyItsConnection: a panic in one connection's handler
// is recovered and logged; the network forgets the client; others go on.
func TestIRCPanicEndsOnlyItsConnection(t *testing.T) {
	h := start(t, nil, func(set *app.Setup) {
		irc.SetTestHookLine(set.IRC, func(line []byte) {
			if string(line) == "PANIC" {
				panic("test hook: PANIC received")
			}
		})
	})
	h.allowError(panicMsg)
	good := h.dial(t)
	good.register("good")
	good.send("JOIN #lab")
	good.sync()

	bad := h.dial(t)
	bad.register("bad")
	bad.send("JOIN #lab")
	bad.sync()
	good.expect(":bad!bad@127.0.0.1 JOIN #lab")
	bad.send("PANIC")
	got, err := bad.readUntilClosed()
	if len(got) != 0 || err != io.EOF {
		t.Errorf("after the panic: %q then %v, want a close with nothing", got, err)
	}
	e := h.logs.wait(t, fields{"message": panicMsg, "conn": bad.id})
	if e.Str("level") != "error" || !strings.Contains(e.Str("stack"), "(*conn).Serve") {
		t.Errorf("panic entry: %s", e)
	}
	good.expect(":bad!bad@127.0.0.1 QUIT :Connection closed")
	good.send("NICK bad") // the nick is free again
	good.expect(":good!good@127.0.0.1 NICK bad")
	h.dial(t).register("next")
}
