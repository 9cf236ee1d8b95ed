package server

import (
	"crypto/tls"
	"errors"

	"jabberd/negotiation"
	"jabberd/stream"
)

// directTLS runs the handshake of a direct-TLS connection (XEP-0368) before
// any XML. A client that speaks plaintext XMPP to this port gets a stream
// error saying so, in plaintext, instead of a silent hang or a TLS alert it
// cannot read. It returns false when the connection is over.
func (c *conn) directTLS() bool {
	up := c.srv.opt.DirectTLS
	if up == nil {
		up = c.srv.opt.TLS
	}
	f, err := c.core.StartTLS(up, nil, "", c.choice.Upgrader())
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && rh.Conn != nil {
			c.core.Log().Info().Msg("plaintext on the direct-TLS port: refused with a stream error")
			c.run(negotiation.FaultEvent{Err: stream.Errorf(stream.PolicyViolation,
				"this port expects TLS at once (XEP-0368 direct TLS); use STARTTLS on the other port")})
			return false
		}
		c.core.Log().Info().Err(err).Msg("direct TLS handshake failed")
		return false
	}
	c.m.StartSecure(tlsInfo(f))
	return true
}
