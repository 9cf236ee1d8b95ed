package listener

import (
	"context"
	"net"
	"time"
)

// Listen opens a TCP listener on address whose accepted connections have
// TCP keepalive with the given period (idle time before the first probe
// and between probes), or none when keepAlive is 0.
//
// Go's own default (net.Listen) is a probe after 15 s of silence and every
// 15 s after: four setsockopt calls on every accepted connection, and on
// every idle session a packet each way every 15 s, which keeps a mobile
// client's radio awake. The protocols' idle timeouts (limits.idle_timeout,
// irc.idle_timeout) already end the connection of a peer that went away, so
// jabberd's default is none.
func Listen(address string, keepAlive time.Duration) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1} // net's "off"; its 0 means the 15 s default
	if keepAlive > 0 {
		// KeepAlive alone would set only the first wait, the probes
		// following every 15 s; Count 0 keeps the usual 9.
		lc.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: keepAlive, Interval: keepAlive}
	}
	return lc.Listen(context.Background(), "tcp", address)
}
