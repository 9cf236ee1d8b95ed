package irc

import (
	"crypto/tls"
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
)

// writeTimeout bounds every write: a client that stops reading cannot hold
// a goroutine (its own or a sender's) for longer.
const writeTimeout = 10 * time.Second

// conn is one client connection and the goroutine that serves it. Only that
// goroutine touches the machine and the reader; other goroutines call only
// Deliver, stopWith and kill.
type conn struct {
	srv     *Server
	ip      string
	m       *Machine
	r       *lineReader
	bucket  *tokenBucket
	refusal connpool.Refusal // over a connection limit: refused at once

	logp   atomic.Pointer[zerolog.Logger] // gains the nick at registration
	secure atomic.Bool                    // TLS is the transport ("phase" in the debug log)

	mu  sync.Mutex // guards nc
	nc  net.Conn   // the current transport: TCP, then TLS over it
	tcp net.Conn

	wmu    sync.Mutex // serializes writes: the machine's and delivered lines
	closed bool       // under wmu: nothing more may be written

	stop atomic.Pointer[string] // why the server ends this connection

	regDeadline  time.Time // end of registration
	pinged       bool      // a PING is out; pingDeadline applies
	pingDeadline time.Time

	// The lab side (lab.go), touched by the connection's goroutine only:
	// the transcript (nil when transcripts are off), the profile in force,
	// the wire length of the last line read, and why the connection ended.
	id        string
	tr        *lab.Transcript
	profile   *lab.Profile
	chosenBy  string // lab.ByListener, ByUsername or BySNI
	inLen     int
	endReason string
}

func newConn(s *Server, nc net.Conn, id, ip string) *conn {
	c := &conn{srv: s, id: id, ip: ip, nc: nc, tcp: nc}
	lg := s.log.With().Str("conn", id).Str("remote", nc.RemoteAddr().String()).Logger()
	c.logp.Store(&lg)
	c.labOpen() // before the machine puts c on the network
	c.m = NewMachine(s.mcfg, c, ip)
	if p := s.profile; p != nil {
		c.useProfile(p, lab.ByListener)
	}
	return c
}

func (c *conn) lg() *zerolog.Logger { return c.logp.Load() }

func (c *conn) phase() string {
	if c.secure.Load() {
		return "tls"
	}
	return "plaintext"
}

// Serve runs the connection to its end (connpool.Conn). A panic here is a
// bug on some input: it is logged with its stack and ends this connection
// only; the network forgets the client either way.
func (c *conn) Serve() {
	defer c.tcp.Close()
	defer c.srv.mcfg.Net.Quit(c.m.Member(), "Connection closed")
	defer c.markClosed()
	defer c.labEnd()
	defer func() {
		if v := recover(); v != nil {
			c.endReason = "handler panicked"
			c.lg().Error().Str("panic", fmt.Sprint(v)).Str("stack", string(debug.Stack())).Msg("connection handler panicked; connection closed")
		}
	}()
	c.lg().Info().Str("local", c.tcp.LocalAddr().String()).Msg("connected")
	cfg := c.srv.opt.Config
	now := time.Now()
	c.regDeadline = now.Add(cfg.RegistrationTimeout.Duration)
	c.bucket = newTokenBucket(cfg.FloodBurst, cfg.FloodRate, now)
	c.r = newLineReader(c.tcp, maxLineBytes)
	if c.refusal.Refused() {
		why := c.refusal.String()
		c.run(StopEvent{Reason: strings.ToUpper(why[:1]) + why[1:]})
		return
	}
	for c.m.State() != Closed {
		if !c.run(c.read()) {
			return
		}
	}
}

func (c *conn) transport() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nc
}

// read waits for the next line and turns it, or what kept it from coming,
// into an event. Every read has a deadline: registration before the welcome,
// then the idle timeout, then the answer to the server's PING.
func (c *conn) read() Event {
	if r := c.stop.Load(); r != nil {
		return StopEvent{Reason: *r}
	}
	cfg := c.srv.opt.Config
	deadline := c.regDeadline
	if c.m.State() == Registered {
		deadline = time.Now().Add(cfg.IdleTimeout.Duration)
		if c.pinged {
			deadline = c.pingDeadline
		}
	}
	_ = c.transport().SetReadDeadline(deadline)
	if r := c.stop.Load(); r != nil {
		// stopWith ran between the check above and the deadline, which
		// then overwrote its immediate one.
		return StopEvent{Reason: *r}
	}
	before := c.r.Consumed()
	line, err := c.r.ReadLine()
	c.inLen = int(c.r.Consumed() - before)
	var nerr net.Error
	switch {
	case err == nil:
		c.pinged = false
		if c.lg().Debug().Enabled() {
			c.lg().Debug().Str("phase", c.phase()).Str("in", redactLine(line)).Msg("received")
		}
		if h := c.srv.testHookLine; h != nil {
			h(line)
		}
		if !c.bucket.take(time.Now()) {
			c.labFlooded(line)
			return FloodEvent{}
		}
		return LineEvent{Line: line}
	case errors.Is(err, ErrLineTooLong):
		c.pinged = false
		c.lg().Info().Int("limit", maxLineBytes).Msg("line too long; dropped")
		if !c.bucket.take(time.Now()) {
			c.labTooLong()
			return FloodEvent{}
		}
		return TooLongEvent{}
	case c.stop.Load() != nil:
		return StopEvent{Reason: *c.stop.Load()}
	case errors.As(err, &nerr) && nerr.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
		switch {
		case c.m.State() != Registered:
			return TimeoutEvent{Reason: "Registration timeout: " + seconds(cfg.RegistrationTimeout.Duration)}
		case !c.pinged:
			c.pinged = true
			c.pingDeadline = time.Now().Add(cfg.PingTimeout.Duration)
			return PingEvent{}
		}
		return TimeoutEvent{Reason: "Ping timeout: " + seconds(cfg.IdleTimeout.Duration+cfg.PingTimeout.Duration)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		c.lg().Info().Msg("client disconnected")
		return HangupEvent{Reason: "Connection closed"}
	default:
		c.lg().Info().Err(err).Msg("connection failed")
		return HangupEvent{Reason: "Connection error"}
	}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
}

// run feeds ev to the machine and performs its actions; consecutive lines go
// out in one write. It returns false when the connection must end now.
func (c *conn) run(ev Event) bool {
	for ev != nil {
		var labLine func([]Action)
		if le, ok := ev.(LineEvent); ok {
			ev, labLine = c.labLine(le)
		}
		actions := c.m.Handle(ev)
		if labLine != nil {
			labLine(actions) // the line is recorded before what answers it
		} else if _, ok := ev.(TooLongEvent); ok {
			c.labTooLong()
		}
		ev = nil
		var out []byte
		var marks []outMark
		flush := func() bool {
			if len(out) == 0 {
				return true
			}
			err := c.writeMarked(out, marks)
			out, marks = out[:0], marks[:0]
			if err != nil {
				c.lg().Info().Err(err).Msg("write failed; closing")
				c.endReason = "write failed: " + err.Error()
			}
			return err == nil
		}
		for _, a := range actions {
			if a.Kind == Send {
				out = c.appendOut(out, a)
				marks = append(marks, outMark{end: len(out), redact: a.Redact})
				continue
			}
			if !flush() {
				return false
			}
			c.labAction(a)
			switch a.Kind {
			case StartTLS:
				ev = c.startTLS()
			case Close:
				c.lg().Info().Str("reason", a.Reason).Msg("closing")
				c.linger()
				return false
			default:
				c.logAction(a)
			}
		}
		if !flush() {
			return false
		}
	}
	return true
}

// appendOut adds one Send to the pending output, logging it at debug.
func (c *conn) appendOut(out []byte, a Action) []byte {
	if a.Raw != nil {
		c.lg().Debug().Str("phase", c.phase()).Str("out_raw", string(a.Raw)).Msg("sent")
		return append(out, a.Raw...)
	}
	if c.lg().Debug().Enabled() {
		text := a.Line
		if a.Redact {
			text = "AUTHENTICATE " + redacted
		}
		c.lg().Debug().Str("phase", c.phase()).Str("out", text).Msg("sent")
	}
	return append(append(out, a.Line...), '\r', '\n')
}

// logAction logs the machine's state changes at info.
func (c *conn) logAction(a Action) {
	lg := c.lg()
	switch a.Kind {
	case Welcomed:
		next := lg.With().Str("nick", a.Nick).Logger()
		c.logp.Store(&next)
		ev := next.Info().Str("user", a.User).Str("phase", c.phase())
		if a.Account != "" {
			ev = ev.Str("account", a.Account)
		}
		ev.Msg("registered")
	case NickChanged:
		next := lg.With().Str("nick", a.Nick).Logger()
		c.logp.Store(&next)
		next.Info().Msg("nick changed")
	case LoggedIn:
		lg.Info().Str("mechanism", a.Mechanism).Str("account", a.Account).Msg("authenticated")
	case LoginFailed:
		lg.Info().Str("mechanism", a.Mechanism).Str("reason", a.Reason).Msg("authentication failed")
	case Refused:
		lg.Info().Str("reason", a.Reason).Msg("STARTTLS refused")
	}
}

// errClosed refuses a write to a connection that has ended.
var errClosed = errors.New("the connection is closed")

func (c *conn) write(b []byte) error { return c.writeMarked(b, nil) }

// writeMarked writes b, which marks splits into the lines the transcript
// records (nil: one record).
func (c *conn) writeMarked(b []byte, marks []outMark) error {
	nc := c.transport()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return errClosed
	}
	_ = nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := nc.Write(b)
	if err != nil {
		c.closed = true
	} else {
		c.labOut(b, marks) // under wmu: in the order of the wire
	}
	return err
}

// Deliver implements Outbox: a line from another client. A client that
// cannot take it within the write timeout is disconnected.
func (c *conn) Deliver(line string) {
	if c.lg().Debug().Enabled() {
		c.lg().Debug().Str("phase", c.phase()).Str("out", line).Msg("sent")
	}
	if err := c.write(append([]byte(line), '\r', '\n')); err != nil && !errors.Is(err, errClosed) {
		c.lg().Info().Err(err).Msg("delivery failed; closing")
		c.Kill()
	}
}

// startTLS hands the connection to the TLS handshake: the bytes the reader
// had buffered past the STARTTLS line are the first bytes of the handshake
// (a pipelined ClientHello works, injected plaintext fails it), and a fresh
// reader starts on the TLS connection. Nothing is skipped: IRC allows no
// bytes between its line ending and the handshake.
func (c *conn) startTLS() Event {
	early := c.r.Rest()
	c.r = nil // nothing may parse the plaintext stream again
	under, caught := c.labHandshakeConn()
	res, err := c.srv.opt.TLS.UpgradeWith(c.srv.ctx, under, early, "", c.upgrader())
	caught.stop()
	if err != nil {
		c.lg().Info().Err(err).Int("early_bytes", len(early)).Msg("TLS upgrade failed")
		c.labTLSFailed(err, early, caught)
		return TLSEvent{Err: err}
	}
	info := c.describeTLS(res, len(early))
	c.labTLS(res, info)
	c.mu.Lock()
	c.nc = res.Conn
	c.mu.Unlock()
	c.secure.Store(true)
	c.r = newLineReader(res.Conn, maxLineBytes)
	return TLSEvent{Info: info}
}

// linger ends the output (close_notify over TLS, then a TCP half-close) and
// drains what the client still sends for a moment, so that closing with
// unread input does not make the kernel answer with a reset that could
// discard the ERROR line just written.
func (c *conn) linger() {
	c.wmu.Lock()
	if tc, ok := c.transport().(*tls.Conn); ok && !c.closed {
		_ = tc.SetWriteDeadline(time.Now().Add(connpool.LingerTime))
		_ = tc.CloseWrite()
	}
	c.closed = true
	c.wmu.Unlock()
	connpool.Linger(c.tcp)
}

// markClosed refuses further writes: the connection is ending.
func (c *conn) markClosed() {
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
}

// stopWith asks the connection to end with reason: the pending read returns
// at once and the serve loop sees it. The first reason wins.
func (c *conn) stopWith(reason string) {
	c.stop.CompareAndSwap(nil, &reason)
	_ = c.transport().SetReadDeadline(time.Now())
}

// Stop implements connpool.Conn: the server is shutting down.
func (c *conn) Stop() { c.stopWith("Server shutting down") }

// Kill implements connpool.Conn, and ends a client that cannot take its
// deliveries: it closes the socket under the connection.
func (c *conn) Kill() { c.tcp.Close() }
