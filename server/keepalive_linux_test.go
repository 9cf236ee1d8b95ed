package server_test

import (
	"testing"

	"jabberd/config"
	"jabberd/internal/sockettest"
)

// The server's end of a connection has no keepalive timer by default
// (limits.tcp_keepalive = "0s"), and one with the period asked for
// otherwise. The kernel's own table is the witness, not the setting.
func TestTCPKeepAliveOfAcceptedConnections(t *testing.T) {
	for _, period := range sockettest.KeepAlivePeriods {
		t.Run(period.String(), func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Limits.TCPKeepAlive.Duration = period })
			c := h.dial(t)
			// A header answered: the server has accepted the connection and
			// set its options.
			c.send(`<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`)
			c.expect(xmlDecl)
			sockettest.CheckKeepAlive(t, h.addr, c.remote, period)
		})
	}
}
