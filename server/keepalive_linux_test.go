package server_test

import (
	"testing"
	"time"

	"jabberd/config"
	"jabberd/internal/sockettest"
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
		{"90s", 90 * time.Second, "02"}, // and not Go's 15 s: checked below
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = tc.keepAlive })
			c := h.dial(t)
			// A header answered: the server has accepted the connection and
			// set its options.
			c.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
			c.expect(xmlDecl)
			got, in := sockettest.TCPTimer(t, h.addr, c.remote)
			if got != tc.want {
				t.Fatalf("server side's pending timer %q, want %q (02 = keepalive)", got, tc.want)
			}
			if tc.keepAlive > 0 && (in <= 15*time.Second || in > tc.keepAlive) {
				t.Fatalf("keepalive fires in %v, want within %v and after Go's default 15 s", in, tc.keepAlive)
			}
		})
	}
}
