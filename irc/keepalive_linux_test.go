package irc_test

import (
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/internal/sockettest"
)

// The IRC listener's connections follow limits.tcp_keepalive as the XMPP
// listener's do: no keepalive timer by default, the period asked for
// otherwise.
func TestTCPKeepAliveOfAcceptedConnections(t *testing.T) {
	for _, period := range sockettest.KeepAlivePeriods {
		t.Run(period.String(), func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = period }, nil)
			c := h.dial(t) // returns once the server logged the connection
			c.send("CAP LS 302")
			if l := c.line(); !strings.Contains(l, "CAP * LS") {
				t.Fatalf("CAP LS answered %q", l)
			}
			sockettest.CheckKeepAlive(t, h.addr, c.tcp.LocalAddr().String(), period)
		})
	}
}
