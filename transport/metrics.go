package transport

import (
	"context"
	"errors"
	"net"
	"strings"
)

// Metrics counts what connections do, for the server's /metrics (package
// metrics implements it). Every call is one per connection or per
// handshake or login, never one per stanza.
type Metrics interface {
	// Opened: a connection was accepted; local is the address it reached.
	Opened(local string)
	// Closed: the connection ended. dialect is what the driver noted ("" if
	// nothing), phase how far it got: "plaintext", "tls" or "authenticated".
	Closed(local, dialect, phase string)
	// Handshake: a TLS handshake ended (HandshakeOutcomes).
	Handshake(outcome string)
	// Login: an authentication attempt ended.
	Login(mechanism string, ok bool)
}

// HandshakeOutcomes are the outcomes Metrics.Handshake reports: completed;
// the client's alert (it refused our certificate or version); plaintext
// where the ClientHello belonged; the deadline or a shutdown; anything else.
var HandshakeOutcomes = []string{"ok", "alert", "not-tls", "timeout", "error"}

// handshakeOutcome classifies a handshake's error.
func handshakeOutcome(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case strings.Contains(err.Error(), "remote error: tls:"):
		return "alert"
	case strings.Contains(err.Error(), "does not look like a TLS handshake"):
		return "not-tls"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "error"
}

// reached is how far the connection got, for Metrics.Closed.
func (c *Conn) reached() string {
	switch {
	case c.authed:
		return "authenticated"
	case c.secure.Load():
		return "tls"
	}
	return "plaintext"
}
