package server_test

import (
	"testing"
	"time"

	"jabberd/config"
	"jabberd/internal/testserver"
)

// The server's end of a connection has no keepalive timer by default
// (limits.tcp_keepalive = "0s"), and one when the setting asks for it. The
// kernel's own table is the witness, not the setting.
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
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = tc.keepAlive })
			c := h.dial(t)
			// A header answered: the server has accepted the connection and
			// set its options.
			c.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
			c.expect(xmlDecl)
			if got := testserver.TCPTimer(t, h.addr, c.remote); got != tc.want {
				t.Fatalf("server side's pending timer %q, want %q (02 = keepalive)", got, tc.want)
			}
		})
	}
}
