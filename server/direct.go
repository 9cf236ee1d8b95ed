package server

import (
	"crypto/tls"
	"errors"
	"time"

	"jabberd/stream"
)

// directTLS runs the handshake of a direct-TLS connection (XEP-0368) before
// any XML. A client that speaks plaintext XMPP to this port gets a stream
// error saying so, in plaintext, instead of a silent hang or a TLS alert it
// cannot read. It returns false when the connection is over.
func (c *conn) directTLS() bool {
	res, err := c.srv.opt.TLS.Upgrade(c.srv.ctx, c.tcp, nil, "")
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && rh.Conn != nil {
			msg := stream.OpenTag(
				stream.Attr{Key: "xmlns", Value: stream.NSClient},
				stream.Attr{Key: "xmlns:stream", Value: stream.NSStreams},
				stream.Attr{Key: "id", Value: c.m.NewStreamID()},
				stream.Attr{Key: "from", Value: c.srv.cfg.Domain},
				stream.Attr{Key: "version", Value: "1.0"},
			)
			msg = append(msg, stream.Errorf(stream.PolicyViolation, "this port expects TLS at once (XEP-0368 direct TLS); use STARTTLS on the other port").Bytes()...)
			msg = append(msg, stream.CloseTag...)
			_ = rh.Conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			_, _ = rh.Conn.Write(msg)
			c.log.Info().Msg("plaintext on the direct-TLS port: refused with a stream error")
			return false
		}
		c.log.Info().Err(err).Msg("direct TLS handshake failed")
		return false
	}
	c.m.StartSecure(c.useTLS(res, 0))
	return true
}
