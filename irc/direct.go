package irc

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"jabberd/lab"
	"jabberd/starttls"
	"jabberd/transport"
)

// TLS where plaintext IRC is spoken, and plaintext where TLS is: the
// direct-TLS port (RFC 7194) runs its handshake before any line and tells a
// client that speaks plaintext there, in plaintext, what it did; the
// plaintext port recognises a TLS ClientHello sent to it (a record starting
// with 0x16 before any line), answers with a TLS alert the client can read
// and logs it as "TLS sent to the plaintext port".

// directTLS runs the handshake of a connection to a direct-TLS port. It
// returns false when the connection is over.
func (c *conn) directTLS() bool {
	f, err := c.core.StartTLS(c.srv.opt.TLS, nil, "", c.choice.Upgrader())
	if err == nil {
		c.m.StartSecure(tlsInfo(f))
		return true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) && rh.Conn != nil {
		c.core.Log().Info().Msg("plaintext on the IRC TLS port: refused with an ERROR line")
		c.run(StopEvent{Reason: c.plaintextOnTLSPort()})
		return false
	}
	reason := "TLS handshake failed: " + err.Error()
	c.core.Log().Info().Str("reason", reason).Msg("closing")
	c.core.EndReason(reason)
	c.core.Close()
	return false
}

// plaintextOnTLSPort is the ERROR a client gets for plaintext on a
// direct-TLS port: what the port expects, and where plaintext goes.
func (c *conn) plaintextOnTLSPort() string {
	why := "This port expects TLS from the first byte (RFC 7194): connect with TLS"
	if a := c.srv.Addr(); a != nil && c.port.correlateAs == "" {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			why += ", or to port " + port + " with STARTTLS"
		}
	}
	return why
}

// alertHandshakeFailure is a fatal handshake_failure alert record, in the
// clear as every alert before a handshake is (RFC 8446 §6).
var alertHandshakeFailure = []byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}

// maxHelloRecord bounds the ClientHello record read for the log: a record
// holds at most 2^14 bytes after its 5-byte header.
const maxHelloRecord = 5 + 1<<14

// helloLinger is how long the connection waits, after the alert, for the
// client to close: its close, not the server's, ends the connection.
const helloLinger = 2 * time.Second

// tlsOnPlaintext looks at the first byte a client sends to the plaintext
// port: a TLS handshake record (0x16) means the client wanted TLS at once
// (it holds an sts policy, or took this for port 6697). Its ClientHello is
// read whole, logged with its server name and recorded (judged as a
// request for TLS, lab.Input TLSHello), and answered with a fatal alert.
// It returns true when that happened and the connection is over.
func (c *conn) tlsOnPlaintext() bool {
	if err := c.core.Arm(c.regDeadline); err != nil {
		return false
	}
	if first, err := c.r.Peek(); err != nil || !starttls.IsHandshakeStart([]byte{first}) {
		return false // a read error comes back to the read loop
	}
	head, err := c.r.PeekN(5)
	n := len(head)
	if err == nil {
		n = min(5+(int(head[3])<<8|int(head[4])), maxHelloRecord)
	}
	hello, _ := c.r.ReadRaw(n)
	sni, alpn := helloNames(hello)
	ev := c.core.Log().Info().Int("bytes", len(hello))
	what := fmt.Sprintf("a TLS ClientHello (%d bytes", len(hello))
	if sni != "" {
		ev = ev.Str("sni", sni)
		what += ", SNI " + sni
	}
	if len(alpn) > 0 {
		ev = ev.Strs("alpn", alpn)
		what += ", ALPN " + strings.Join(alpn, ",")
	}
	ev.Msg("TLS sent to the plaintext port")
	c.core.Note(transport.Note{Kind: transport.NoteEvent,
		Text: "TLS sent to the plaintext port: " + what + ") where IRC lines belong; answered with alert handshake_failure"})
	c.core.Received(len(hello), lab.Input{Kind: "line", Name: "a TLS ClientHello", StartTLS: true, TLSHello: true}, nil)
	if c.core.Write(alertHandshakeFailure, nil) != nil {
		return true
	}
	c.awaitClose(helloLinger)
	return true
}

// awaitClose reads (and drops) what the client still sends until it
// closes, or until d has passed; then the server closes.
func (c *conn) awaitClose(d time.Duration) {
	if err := c.core.Arm(time.Now().Add(d)); err == nil {
		for {
			if _, err = c.r.ReadLine(); err != nil && !errors.Is(err, ErrLineTooLong) {
				break
			}
		}
		if c.core.ReadFailed(err) == transport.TimedOut {
			c.core.EndReason("TLS sent to the plaintext port: the client did not close after the alert")
		}
	}
	c.core.EndReason("TLS sent to the plaintext port")
	c.core.Close()
}

// helloNames reads the server name and ALPN protocols of a ClientHello
// record ("" and nil when it is not one): Go's own TLS server parses it
// and stops there.
func helloNames(record []byte) (sni string, alpn []string) {
	var hello *tls.ClientHelloInfo
	cfg := &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		hello = h
		return nil, errHelloRead
	}}
	_ = tls.Server(&recordConn{r: bytes.NewReader(record)}, cfg).Handshake()
	if hello == nil {
		return "", nil
	}
	return hello.ServerName, hello.SupportedProtos
}

var errHelloRead = errors.New("ClientHello read")

// recordConn is a net.Conn that reads bytes already received and drops
// what is written to it.
type recordConn struct{ r *bytes.Reader }

func (c *recordConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *recordConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *recordConn) Close() error                     { return nil }
func (c *recordConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *recordConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *recordConn) SetDeadline(time.Time) error      { return nil }
func (c *recordConn) SetReadDeadline(time.Time) error  { return nil }
func (c *recordConn) SetWriteDeadline(time.Time) error { return nil }
