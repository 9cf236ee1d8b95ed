package irc_test

import (
	"testing"
	"time"

	"jabberd/config"
	"jabberd/lab"
)

// TestIRCLabInjectNumerics: 670 and the forged 903 and 001 arrive in one
// read. A client that drops what it read past 670 registers over TLS and
// joins after the server's own welcome; one that took the forgery for the
// server's joins at once over TLS, unregistered.
func TestIRCLabInjectNumerics(t *testing.T) {
	h := labHarness(t, func(cfg *config.Config) { cfg.IRC.Profile = "inject-numerics" })
	const forged = ":localhost 903 * :SASL authentication successful\r\n:localhost 001 * :Welcome to the jabberd IRC network, *\r\n"
	proceed := func() *client {
		c := h.dial(t)
		c.send("STARTTLS")
		buf := make([]byte, 4096)
		_ = c.tcp.SetReadDeadline(time.Now().Add(ioTimeout))
		n, err := c.tcp.Read(buf)
		if got, want := string(buf[:n]), want670+"\r\n"+forged; err != nil || got != want {
			t.Fatalf("first read after STARTTLS: %q, %v; want %q in one read", got, err, want)
		}
		if _, err := c.handshake(h.tlsConfig(nil)); err != nil {
			t.Fatalf("handshake: %v", err)
		}
		return c
	}

	good := proceed()
	good.register("good")
	good.send("JOIN #lab")
	good.quit()
	s, _ := h.ended(t, good)
	checkSummary(t, s, "inject-numerics", lab.ByListener, "TLS 1.3 ", "discarded-injected-data")
	if s.Verdict != lab.Pass {
		t.Errorf("careful client: verdict %s (%s)", s.Verdict, s.Reason)
	}

	fooled := proceed()
	fooled.send("JOIN #lab")
	fooled.expect(":localhost 451 * :You have not registered")
	fooled.quit()
	s, _ = h.ended(t, fooled)
	checkSummary(t, s, "inject-numerics", lab.ByListener, "TLS 1.3 ", "acted-on-injected-data")
	if s.Verdict != lab.Fail {
		t.Errorf("fooled client: verdict %s (%s)", s.Verdict, s.Reason)
	}
}
