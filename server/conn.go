package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/negotiation"
	"jabberd/stream"
)

// readBufferSize is small on purpose: an idle connection holds it forever.
const readBufferSize = 2048

// conn is one client connection and the goroutine that serves it. Only that
// goroutine touches the machine and the reader; other goroutines may only
// call interrupt and kill.
type conn struct {
	srv       *Server
	id        uint64
	ip        string
	log       zerolog.Logger
	m         *negotiation.Machine
	r         *stream.Reader
	overLimit bool // over the per-IP limit: refused at once

	mu      sync.Mutex
	nc      net.Conn // the current transport: TCP, then TLS over it
	tcp     net.Conn
	stopped atomic.Bool // shutdown asked for

	deadline time.Time // end of the negotiation
	phase    string    // "plaintext" or "tls", for the debug log
}

func newConn(s *Server, nc net.Conn, mcfg *negotiation.Config, id uint64, ip string) *conn {
	c := &conn{
		srv: s, id: id, ip: ip, nc: nc, tcp: nc,
		m:     negotiation.New(mcfg),
		phase: "plaintext",
	}
	c.log = s.log.With().Str("conn", "c"+strconv.FormatUint(id, 10)).Str("remote", nc.RemoteAddr().String()).Logger()
	return c
}

// serve runs the connection to its end. A panic here is a bug on some input:
// it is logged with its stack and ends this connection only.
func (c *conn) serve() {
	defer c.srv.forget(c)
	defer c.tcp.Close()
	defer func() {
		if v := recover(); v != nil {
			c.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("connection handler panicked; connection closed")
		}
	}()
	c.log.Info().Str("local", c.tcp.LocalAddr().String()).Msg("connected")
	c.deadline = time.Now().Add(c.srv.cfg.Limits.NegotiationTimeout.Duration)
	c.r = c.newReader()
	if c.overLimit {
		c.run(negotiation.FaultEvent{Err: stream.Errorf(stream.PolicyViolation,
			"too many connections from %s (limit %d)", c.ip, c.srv.cfg.Limits.MaxConnsPerIP)})
		return
	}
	for c.m.State() != negotiation.Closed {
		ev := c.read()
		if ev == nil || !c.run(ev) {
			return
		}
	}
}

func (c *conn) newReader() *stream.Reader {
	return stream.NewReader(c.transport(), c.srv.streamLimits(), readBufferSize)
}

func (c *conn) transport() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

// read waits for the next stream event under the negotiation deadline and
// turns it into a machine event; nil means the client is gone.
func (c *conn) read() negotiation.Event {
	if c.stopped.Load() {
		return negotiation.ShutdownEvent{}
	}
	_ = c.transport().SetReadDeadline(c.deadline)
	ev, err := c.r.Next()
	if err == nil {
		c.logIn(ev)
		switch ev.Kind {
		case stream.KindHeader:
			return negotiation.HeaderEvent{Header: ev.Header}
		case stream.KindElement:
			return negotiation.ElementEvent{Element: ev.Element, Space: ev.Space}
		default:
			return negotiation.CloseEvent{}
		}
	}
	var serr *stream.Error
	var nerr net.Error
	switch {
	case c.stopped.Load():
		return negotiation.ShutdownEvent{}
	case errors.As(err, &serr):
		c.log.Info().Str("condition", string(serr.Condition)).Str("text", serr.Text).Msg("bad input from client")
		return negotiation.FaultEvent{Err: serr}
	case errors.As(err, &nerr) && nerr.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		return negotiation.TimeoutEvent{Waiting: "stream negotiation to finish"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Info().Msg("client disconnected")
	default:
		c.log.Info().Err(err).Msg("connection failed")
	}
	return nil
}

// run feeds ev to the machine and performs its actions. It returns false
// when the connection must end now.
func (c *conn) run(ev negotiation.Event) bool {
	for ev != nil {
		if _, ok := ev.(negotiation.HeaderEvent); ok {
			defer c.logDialect()
		}
		actions := c.m.Handle(ev)
		ev = nil
		for _, a := range actions {
			switch a.Kind {
			case negotiation.Send:
				if err := c.write(a.Data); err != nil {
					c.log.Info().Err(err).Msg("write failed; closing")
					return false
				}
			case negotiation.StartTLS:
				ev = c.startTLS()
			case negotiation.Restart:
				c.r = c.newReader()
			case negotiation.Close:
				c.log.Info().Str("reason", a.Reason).Msg("closing")
				return false
			}
		}
	}
	return true
}

func (c *conn) logDialect() {
	if c.m.State() == negotiation.Negotiating {
		c.log.Info().Str("dialect", c.m.Dialect().String()).Str("stream", c.m.StreamID()).Str("phase", c.phase).Msg("stream opened")
	}
}

// writeTimeout bounds every write: a client that stops reading cannot hold
// the goroutine.
const writeTimeout = 10 * time.Second

func (c *conn) write(b []byte) error {
	nc := c.transport()
	if c.log.Debug().Enabled() {
		c.log.Debug().Str("phase", c.phase).Str("out", string(b)).Msg("sent")
	}
	_ = nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := nc.Write(b)
	return err
}

// startTLS hands the connection to the TLS handshake: the bytes the
// tokenizer had buffered past the request are the first bytes of the
// handshake, and a fresh tokenizer starts on the TLS connection.
func (c *conn) startTLS() negotiation.Event {
	early := c.r.Rest()
	c.r = nil // nothing may parse the old stream again
	res, err := c.srv.opt.TLS.Upgrade(c.srv.ctx, c.tcp, early)
	if err != nil {
		c.log.Info().Err(err).Int("early_bytes", len(early)).Msg("TLS upgrade failed")
		return negotiation.TLSEvent{Err: err}
	}
	info := &negotiation.TLSInfo{
		Version: res.Version, CipherSuite: res.CipherSuite, ServerName: res.ServerName,
		PeerCertificates: res.PeerCertificates,
		Exporter:         res.Exporter, ServerEndPoint: res.ServerEndPoint,
	}
	ev := c.log.Info().Str("version", res.VersionName()).Str("cipher", res.CipherName()).Int("early_bytes", len(early))
	if res.ServerName != "" {
		ev = ev.Str("sni", res.ServerName)
	}
	if len(res.PeerCertificates) > 0 {
		leaf := res.PeerCertificates[0]
		ev = ev.Str("client_cert", leaf.Subject.String())
		if v := c.srv.opt.VerifyClient; v != nil {
			if verr := v(res.PeerCertificates); verr != nil {
				ev = ev.Str("client_cert_error", verr.Error())
			} else {
				info.ClientVerified = true
			}
		}
		ev = ev.Bool("client_cert_verified", info.ClientVerified)
	}
	ev.Msg("TLS established")
	c.mu.Lock()
	c.nc = res.Conn
	c.mu.Unlock()
	c.phase = "tls"
	c.r = c.newReader()
	return negotiation.TLSEvent{Info: info}
}

// interrupt asks the connection to end its stream with system-shutdown: the
// pending read returns at once and the serve loop sees the flag.
func (c *conn) interrupt() {
	c.stopped.Store(true)
	_ = c.transport().SetReadDeadline(time.Now())
}

// kill closes the socket under the connection (shutdown grace is over).
func (c *conn) kill() { c.tcp.Close() }
