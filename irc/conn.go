package irc

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"jabberd/lab"
	"jabberd/listener"
	"jabberd/transport"
)

// conn is the IRC driver of one connection: the line reader, the pure
// machine and the hand-off to the network. The socket, TLS, writes, the
// outbound queue and the lab's observer are the core's (package transport).
type conn struct {
	core    *transport.Conn
	srv     *Server
	m       *Machine
	r       *lineReader
	bucket  *tokenBucket
	refusal listener.Refusal // over a connection limit: refused at once
	choice  *lab.Choice      // the lab profile in force
	// profile is the listener's (nil: standard); dedicated, when its port
	// serves that one profile ([lab] profile_ports).
	profile   *lab.Profile
	dedicated bool
	port      *listenPort // the port the client reached (ports.go)

	regDeadline  time.Time // end of registration
	pinged       bool      // a PING is out; pingDeadline applies
	pingDeadline time.Time
	inLen        int // wire length of the last line read
}

// Serve speaks IRC until the connection ends (transport.Driver).
func (c *conn) Serve() {
	cfg := c.srv.opt.Config
	now := time.Now()
	c.regDeadline = now.Add(cfg.RegistrationTimeout.Duration)
	c.bucket = newTokenBucket(cfg.FloodBurst, cfg.FloodRate, now)
	direct := c.port != nil && c.port.direct
	if direct {
		if c.refusal.Refused() {
			// Nothing can be said before TLS, and a handshake is what
			// the limit exists to spare (as XMPP's direct TLS).
			c.core.Log().Info().Str("ip", c.core.IP()).Str("reason", c.refusal.String()).Msg("connection refused before TLS")
			return
		}
		if !c.directTLS() { // direct.go
			return
		}
	}
	c.r = newLineReader(c.core.Source(), maxLineBytes)
	if c.refusal.Refused() {
		why := c.refusal.String()
		c.run(StopEvent{Reason: strings.ToUpper(why[:1]) + why[1:]})
		return
	}
	if !direct && c.tlsOnPlaintext() { // direct.go
		return
	}
	for c.m.State() != Closed {
		if !c.run(c.read()) {
			return
		}
	}
}

// Ended: the network forgets the client (transport.Driver).
func (c *conn) Ended() { c.srv.mcfg.Net.Quit(c.m.Member(), "Connection closed") }

// read waits for the next line and turns it, or what kept it from coming,
// into an event. Every read has a deadline: registration before the welcome,
// then the idle timeout, then the answer to the server's PING.
func (c *conn) read() Event {
	cfg := c.srv.opt.Config
	deadline := c.regDeadline
	if c.m.State() == Registered {
		deadline = time.Now().Add(cfg.IdleTimeout.Duration)
		if c.pinged {
			deadline = c.pingDeadline
		}
	}
	if err := c.core.Arm(deadline); err != nil {
		return StopEvent{Reason: err.Error()}
	}
	before := c.r.Consumed()
	line, err := c.r.ReadLine()
	c.inLen = int(c.r.Consumed() - before)
	switch {
	case err == nil:
		c.pinged = false
		if lg := c.core.Log(); lg.Debug().Enabled() {
			lg.Debug().Str("phase", c.core.Phase()).Str("in", redactLine(line)).Msg("received")
		}
		if h := c.srv.testHookLine; h != nil {
			h(line)
		}
		if !c.bucket.take(time.Now()) {
			c.observeLine(ParsedLine(line), nil)
			return FloodEvent{}
		}
		return ParsedLine(line)
	case errors.Is(err, ErrLineTooLong):
		c.pinged = false
		c.core.Log().Info().Int("limit", maxLineBytes).Msg("line too long; dropped")
		c.core.Received(c.inLen, lab.Input{Kind: "line"}, []byte("[line too long: dropped]"))
		if !c.bucket.take(time.Now()) {
			return FloodEvent{}
		}
		return TooLongEvent{}
	}
	switch c.core.ReadFailed(err) {
	case transport.Stopped:
		return StopEvent{Reason: c.core.Stopping().Error()}
	case transport.TimedOut:
		switch {
		case c.m.State() != Registered:
			return TimeoutEvent{Reason: "Registration timeout: " + seconds(cfg.RegistrationTimeout.Duration)}
		case !c.pinged:
			c.pinged = true
			c.pingDeadline = time.Now().Add(cfg.PingTimeout.Duration)
			return PingEvent{}
		}
		return TimeoutEvent{Reason: "Ping timeout: " + seconds(cfg.IdleTimeout.Duration+cfg.PingTimeout.Duration)}
	case transport.HungUp:
		return HangupEvent{Reason: "Connection closed"}
	}
	return HangupEvent{Reason: "Connection error"}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
}

// run feeds ev to the machine and performs its actions; consecutive lines go
// out in one write. It returns false when the connection must end now.
func (c *conn) run(ev Event) bool {
	for ev != nil {
		le, isLine := ev.(LineEvent)
		if isLine {
			ev = c.labLine(le)
		}
		actions := c.m.Handle(ev)
		if isLine {
			c.observeLine(le, actions) // the line is recorded before what answers it
		}
		ev = nil
		var out []byte
		var segs []transport.Segment
		// flush writes the pending lines; last ones (a Close follows)
		// leave with close_notify and the FIN, as XMPP's last words do.
		flush := func(last bool) bool {
			if len(out) == 0 {
				return true
			}
			write := c.core.Write
			if last {
				write = c.core.WriteLast
			}
			err := write(out, segs)
			out, segs = out[:0], segs[:0]
			return err == nil
		}
		for _, a := range actions {
			if a.Kind == Send {
				out = appendOut(out, a)
				segs = append(segs, transport.Segment{End: len(out), Redact: a.Redact})
				continue
			}
			if !flush(a.Kind == Close) {
				return false
			}
			switch a.Kind {
			case StartTLS:
				ev = c.startTLS()
			case Close:
				c.core.Log().Info().Str("reason", a.Reason).Msg("closing")
				c.core.EndReason(a.Reason)
				c.core.Close()
				return false
			default:
				c.logAction(a)
				c.noteAction(a)
			}
		}
		if !flush(false) {
			return false
		}
	}
	return true
}

// appendOut adds one Send to the pending output.
func appendOut(out []byte, a Action) []byte {
	if a.Raw != nil {
		return append(out, a.Raw...)
	}
	return append(append(out, a.Line...), '\r', '\n')
}

// logAction logs the machine's state changes at info.
func (c *conn) logAction(a Action) {
	lg := c.core.Log()
	switch a.Kind {
	case Welcomed:
		c.core.With("nick", a.Nick)
		ev := c.core.Log().Info().Str("user", a.User).Str("phase", c.core.Phase())
		if a.Account != "" {
			ev = ev.Str("account", a.Account)
		}
		ev.Msg("registered")
	case NickChanged:
		c.core.With("nick", a.Nick)
		c.core.Log().Info().Msg("nick changed")
	case LoggedIn:
		lg.Info().Str("mechanism", a.Mechanism).Str("account", a.Account).Msg("authenticated")
	case LoginFailed:
		lg.Info().Str("mechanism", a.Mechanism).Str("reason", a.Reason).Msg("authentication failed")
	case Refused:
		lg.Info().Str("reason", a.Reason).Msg("STARTTLS refused")
	}
}

// Deliver implements Outbox: a line from another client. It only queues
// (the core writes it on a goroutine of this connection): a client that
// stops reading holds up no sender, and is cut when its queue is full.
func (c *conn) Deliver(line string) {
	_ = c.core.Enqueue(append([]byte(line), '\r', '\n'), nil)
}

// startTLS hands the connection to the core's STARTTLS hand-off: the bytes
// the reader had buffered past the STARTTLS line are the first bytes of the
// handshake (a pipelined ClientHello works, injected plaintext fails it),
// and a fresh reader starts on the TLS connection. Nothing is skipped: IRC
// allows no bytes between its line ending and the handshake.
func (c *conn) startTLS() Event {
	early := c.r.Rest()
	c.r = nil // nothing may parse the plaintext stream again
	f, err := c.core.StartTLS(c.srv.opt.TLS, early, "", c.choice.Upgrader())
	if err != nil {
		return TLSEvent{Err: err}
	}
	c.r = newLineReader(c.core.Source(), maxLineBytes)
	return TLSEvent{Info: tlsInfo(f)}
}

// tlsInfo is what the machine needs of the core's TLS facts.
func tlsInfo(f *transport.Facts) *TLSInfo {
	return &TLSInfo{
		Version: f.VersionName(), Cipher: f.CipherName(), ClientCert: f.ClientCert(),
		ClientVerified: f.ClientVerified, ClientError: f.ClientError, Accounts: f.Accounts,
	}
}
