package irc_test

import (
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/internal/sockettest"
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
		{"90s", 90 * time.Second, "02"}, // and not Go's 15 s: checked below
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = tc.keepAlive }, nil)
			c := h.dial(t) // returns once the server logged the connection
			c.send("CAP LS 302")
			if l := c.line(); !strings.Contains(l, "CAP * LS") {
				t.Fatalf("CAP LS answered %q", l)
			}
			got, in := sockettest.TCPTimer(t, h.addr, c.tcp.LocalAddr().String())
			if got != tc.want {
				t.Fatalf("server side's pending timer %q, want %q (02 = keepalive)", got, tc.want)
			}
			if tc.keepAlive > 0 && (in <= 15*time.Second || in > tc.keepAlive) {
				t.Fatalf("keepalive fires in %v, want within %v and after Go's default 15 s", in, tc.keepAlive)
			}
		})
	}
}
