package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/connpool"
	"jabberd/lab"
	"jabberd/negotiation"
	"jabberd/stream"
	"jabberd/tlsext"
)

// readBufferSize is small on purpose: an idle connection holds it forever.
const readBufferSize = 2048

// writeTimeout bounds every write: a client that stops reading cannot hold
// a goroutine (its own or a sender's) for longer.
const writeTimeout = 10 * time.Second

// conn is one client connection and the goroutine that serves it. Only that
// goroutine touches the machine and the reader; other goroutines may only
// call Deliver, Replace, stopWith and kill.
type conn struct {
	srv     *Server
	id      uint64
	ip      string
	log     zerolog.Logger
	m       *negotiation.Machine
	r       *stream.Reader
	refusal connpool.Refusal // over a connection limit: refused at once
	neg     offStack         // runs negotiation until the session is bound
	direct  bool             // XEP-0368: TLS before any XML

	mu     sync.Mutex // guards nc
	nc     net.Conn   // the current transport: TCP, then TLS over it
	tcp    net.Conn
	wmu    sync.Mutex // serializes writes: the machine's and routed stanzas
	closed bool       // under wmu: the stream is closed; nothing more is written

	qmu      sync.Mutex // guards the outbound queue of routed stanzas
	qcond    *sync.Cond // on qmu: the writing goroutine finished
	queue    []queued
	qbytes   int
	draining bool          // a goroutine is writing the queue
	overflow bool          // the client stopped reading: the queue is not written
	qclosed  bool          // the connection is ending: deliveries are refused
	qdone    chan struct{} // closed once the queue is handed to storage

	stop  atomic.Pointer[stream.Error] // why the server ends this stream
	jid   atomic.Pointer[string]       // bound full JID
	phase string                       // "plaintext" or "tls", for the debug log

	deadline time.Time // end of the negotiation

	// The lab side (server/lab.go): the transcript (nil when transcripts
	// are off), the profile in force, the end of the last event read from
	// the current reader, and why the connection ended.
	tr        *lab.Transcript
	tap       *inTap // what the current reader read, for tr
	profile   *lab.Profile
	chosenBy  string // what chose profile: lab.ByListener, ByUsername or BySNI
	inLast    int64
	endReason string
}

func newConn(s *Server, nc net.Conn, mcfg *negotiation.Config, id uint64, ip string) *conn {
	c := &conn{
		srv: s, id: id, ip: ip, nc: nc, tcp: nc,
		m:     negotiation.New(mcfg),
		phase: "plaintext",
		qdone: make(chan struct{}),
	}
	c.qcond = sync.NewCond(&c.qmu)
	c.log = s.log.With().Str("conn", "c"+strconv.FormatUint(id, 10)).Str("remote", nc.RemoteAddr().String()).Logger()
	return c
}

// Serve runs the connection to its end (connpool.Conn). A panic here is a
// bug on some input: it is logged with its stack and ends this connection
// only.
func (c *conn) Serve() {
	defer c.tcp.Close()
	defer c.neg.stop()
	defer c.unbind()
	defer c.markClosed()
	defer c.labEnd()
	defer func() {
		if v := recover(); v != nil {
			c.log.Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("connection handler panicked; connection closed")
		}
	}()
	c.log.Info().Str("local", c.tcp.LocalAddr().String()).Msg("connected")
	c.deadline = time.Now().Add(c.srv.cfg.Limits.NegotiationTimeout.Duration)
	if c.direct && c.refusal.Refused() {
		// Nothing can be said before TLS, and a handshake is what the
		// limit exists to spare.
		c.log.Info().Str("ip", c.ip).Str("reason", c.refusal.String()).Msg("connection refused before TLS")
		return
	}
	if c.direct && !c.directTLS() {
		return
	}
	c.r = c.newReader()
	if c.refusal.Refused() {
		// The client's own excess is a policy violation; the server's
		// total is a shortage of resources (RFC 6120 §4.9.3.17).
		cond := stream.PolicyViolation
		if c.refusal.Kind == connpool.OverTotal {
			cond = stream.ResourceConstraint
		}
		c.run(negotiation.FaultEvent{Err: stream.Errorf(cond, "%s", c.refusal)})
		return
	}
	for c.m.State() != negotiation.Closed {
		ev := c.read()
		if h := c.srv.testHookEvent; h != nil && ev != nil {
			h(ev)
		}
		if ev == nil || !c.run(ev) {
			return
		}
	}
}

func (c *conn) newReader() *stream.Reader {
	c.inLast = 0
	var r io.Reader = c.transport()
	if c.tr != nil {
		c.tap = &inTap{r: r}
		r = c.tap
	}
	return stream.NewReader(r, c.srv.streamLimits(), readBufferSize)
}

func (c *conn) transport() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

// read waits for the next stream event and turns it into a machine event;
// nil means the client is gone. Before a session is bound the negotiation
// deadline applies; after, the idle timeout.
func (c *conn) read() negotiation.Event {
	if err := c.stop.Load(); err != nil {
		return negotiation.StopEvent{Err: err}
	}
	deadline := c.deadline
	if c.m.Facts()&negotiation.Bound != 0 {
		deadline = time.Now().Add(c.srv.cfg.Limits.IdleTimeout.Duration)
	}
	_ = c.transport().SetReadDeadline(deadline)
	if err := c.stop.Load(); err != nil {
		// stopWith ran between the check above and the deadline, which
		// then overwrote its immediate one.
		return negotiation.StopEvent{Err: err}
	}
	ev, err := c.r.Next()
	if err == nil {
		c.logIn(ev)
		c.labIn(ev)
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
	case c.stop.Load() != nil:
		return negotiation.StopEvent{Err: c.stop.Load()}
	case errors.As(err, &serr):
		c.log.Info().Str("condition", string(serr.Condition)).Str("text", serr.Text).Msg("bad input from client")
		c.labRefused(serr)
		return negotiation.FaultEvent{Err: serr}
	case errors.As(err, &nerr) && nerr.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		if c.m.Facts()&negotiation.Bound != 0 {
			return negotiation.TimeoutEvent{Waiting: "anything from an idle session"}
		}
		return negotiation.TimeoutEvent{Waiting: "stream negotiation to finish"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.log.Info().Msg("client disconnected")
		c.endReason = "client disconnected"
	default:
		c.log.Info().Err(err).Msg("connection failed")
		c.endReason = "connection failed: " + err.Error()
	}
	return nil
}

// run feeds ev to the machine and performs its actions. It returns false
// when the connection must end now.
func (c *conn) run(ev negotiation.Event) bool {
	for ev != nil {
		if h, ok := ev.(negotiation.HeaderEvent); ok {
			c.labHeader(h.Header)
			defer c.logDialect()
		}
		var actions []negotiation.Action
		if c.m.Facts()&negotiation.Bound == 0 {
			// Negotiation runs off this goroutine's stack (see
			// offStack) until the session is bound; the stanzas of a
			// bound session, the many, are handled here.
			c.neg.run(func() { actions = c.m.Handle(ev) })
			if c.m.Facts()&negotiation.Bound != 0 {
				c.neg.stop()
			}
		} else {
			actions = c.m.Handle(ev)
		}
		ev = nil
		for i, a := range actions {
			c.labAction(a)
			switch a.Kind {
			case negotiation.Send:
				// The send before a close carries </stream:stream>: after it
				// nothing routed may be written, or the client would never
				// read it (it goes to offline storage instead).
				final := i+1 < len(actions) && actions[i+1].Kind == negotiation.Close
				if final {
					// The session leaves the router before the client can
					// read the close: its presence ends and messages go
					// elsewhere from that moment — after what was queued
					// for it is stored, so that the order holds.
					c.closeQueue()
					c.unbind()
				}
				if err := c.writeFinal(a.Data, a.Redact, final); err != nil {
					c.log.Info().Err(err).Msg("write failed; closing")
					return false
				}
			case negotiation.StartTLS:
				ev = c.startTLS()
			case negotiation.Restart:
				c.r = c.newReader()
			case negotiation.LoggedIn:
				if p := c.srv.opt.Provision; p != nil && a.Mechanism == "EXTERNAL" {
					local, _, _ := strings.Cut(a.JID, "@")
					if err := p(local); err != nil {
						c.log.Error().Err(err).Str("jid", a.JID).Msg("creating the account of a certificate identity failed")
					}
				}
				c.log.Info().Str("mechanism", a.Mechanism).Str("jid", a.JID).Msg("authenticated")
			case negotiation.Registered:
				c.log.Info().Str("jid", a.JID).Msg("account registered in band")
			case negotiation.LoginFailed:
				c.log.Info().Str("mechanism", a.Mechanism).Str("reason", a.Reason).Msg("authentication failed")
			case negotiation.Bind:
				c.jid.Store(&a.JID)
				c.log = c.log.With().Str("jid", a.JID).Logger()
				c.log.Info().Msg("session bound")
				c.srv.router.Bind(c)
			case negotiation.Route:
				c.srv.router.Route(c, a.Element)
			case negotiation.Close:
				c.log.Info().Str("reason", a.Reason).Msg("closing")
				c.markClosed()
				c.unbind()
				connpool.Linger(c.tcp)
				return false
			}
		}
	}
	return true
}

func (c *conn) logDialect() {
	if c.m.State() == negotiation.Negotiating {
		if c.tr != nil {
			c.tr.SetDialect(c.m.Dialect().String())
		}
		c.log.Info().Str("dialect", c.m.Dialect().String()).Str("stream", c.m.StreamID()).Str("phase", c.phase).Msg("stream opened")
	}
}

// errClosed refuses a delivery to a stream that has ended.
var errClosed = errors.New("the stream is closed")

func (c *conn) write(b []byte, redact bool) error { return c.writeFinal(b, redact, false) }

// writeFinal writes b; final marks the stream closed for deliveries once b
// (which ends the stream) is written.
func (c *conn) writeFinal(b []byte, redact, final bool) error {
	nc := c.transport()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return errClosed
	}
	if c.log.Debug().Enabled() {
		out := string(b)
		if redact {
			out = "[SASL payload redacted]"
		}
		c.log.Debug().Str("phase", c.phase).Str("out", out).Msg("sent")
	}
	_ = nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := nc.Write(b)
	if c.tr != nil && err == nil {
		c.tr.Out(b, redact)
	}
	if final || err != nil {
		c.closed = true
	}
	if err != nil {
		// Half a stanza may be on the wire and the client is not reading:
		// end the connection, so that the session leaves the router and
		// what was meant for it goes to offline storage.
		c.log.Info().Err(err).Msg("write failed; closing")
		c.tcp.Close()
	}
	return err
}

// markClosed refuses further writes and deliveries, and stores what was
// queued: the connection is ending.
func (c *conn) markClosed() {
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	c.closeQueue()
}

// JID implements session.Session.
func (c *conn) JID() string {
	if p := c.jid.Load(); p != nil {
		return *p
	}
	return ""
}

// Replace implements session.Session: a newer session bound the same JID.
func (c *conn) Replace() {
	c.stopWith(stream.Errorf(stream.Conflict, "replaced by a new session for the same resource"))
}

func (c *conn) unbind() {
	if c.JID() != "" {
		c.srv.router.Unbind(c)
	}
}

// startTLS hands the connection to the TLS handshake: the bytes the
// tokenizer had buffered past the request are the first bytes of the
// handshake, and a fresh tokenizer starts on the TLS connection.
func (c *conn) startTLS() negotiation.Event {
	early := c.r.Rest()
	c.r = nil // nothing may parse the old stream again
	// XML whitespace may stand between <starttls/> and the handshake: some
	// clients (go-xmpp) send a newline after the request.
	// The handshake runs off this goroutine's stack (see offStack).
	var res *tlsext.Result
	var err error
	c.neg.run(func() { res, err = c.srv.opt.TLS.UpgradeWith(c.srv.ctx, c.tcp, early, " \t\r\n", c.upgrader()) })
	if err != nil {
		c.log.Info().Err(err).Int("early_bytes", len(early)).Msg("TLS upgrade failed")
		c.labTLS(nil, nil, err)
		return negotiation.TLSEvent{Err: err}
	}
	info := c.useTLS(res, len(early))
	c.labTLS(res, info, nil)
	c.r = c.newReader()
	return negotiation.TLSEvent{Info: info}
}

// useTLS makes the TLS connection the transport and describes it.
func (c *conn) useTLS(res *tlsext.Result, early int) *negotiation.TLSInfo {
	info := c.describeTLS(res, early)
	c.mu.Lock()
	c.nc = res.Conn
	c.mu.Unlock()
	c.phase = "tls"
	return info
}

// stopWith asks the connection to end its stream with err: the pending read
// returns at once and the serve loop sees the reason. The first reason wins.
func (c *conn) stopWith(err *stream.Error) {
	c.stop.CompareAndSwap(nil, err)
	_ = c.transport().SetReadDeadline(time.Now())
}

// Stop implements connpool.Conn: the server is shutting down.
func (c *conn) Stop() {
	c.stopWith(stream.Errorf(stream.SystemShutdown, "the server is shutting down"))
}

// Kill implements connpool.Conn: the shutdown grace is over.
func (c *conn) Kill() { c.tcp.Close() }
