package irc_test

import (
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/internal/testserver"
)

// The IRC listener's connections follow limits.tcp_keepalive as the XMPP
// listener's do: no keepalive timer by default, one when asked.
func TestTCPKeepAliveOfAcceptedConnections(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepAlive time.Duration
		want      string
	}{
		{"default", 0, "00"},
		{"90s", 90 * time.Second, "02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = tc.keepAlive }, nil)
			c := h.dial(t) // returns once the server logged the connection
			c.send("CAP LS 302")
			if l := c.line(); !strings.Contains(l, "CAP * LS") {
				t.Fatalf("CAP LS answered %q", l)
			}
			if got := testserver.TCPTimer(t, h.addr, c.tcp.LocalAddr().String()); got != tc.want {
				t.Fatalf("server side's pending timer %q, want %q (02 = keepalive)", got, tc.want)
			}
		})
	}
}
