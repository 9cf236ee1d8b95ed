package server

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"

	"jabberd/lab"
	"jabberd/listener"
	"jabberd/negotiation"
	"jabberd/stream"
	"jabberd/transport"
)

// readBufferSize is small on purpose: an idle connection holds it forever.
const readBufferSize = 2048

// conn is the XMPP driver of one connection: the tokenizer, the pure
// negotiation machine, and the hand-off to the router. The socket, TLS,
// writes, the outbound queue and the lab's observer are the core's
// (package transport).
type conn struct {
	core    *transport.Conn
	srv     *Server
	m       *negotiation.Machine
	r       *stream.Reader
	in      activity         // what r reads (keepalive.go)
	refusal listener.Refusal // over a connection limit: refused at once
	direct  bool             // XEP-0368: TLS before any XML
	choice  *lab.Choice      // the lab profile in force

	jid      atomic.Pointer[string]    // bound full JID
	sm       atomic.Pointer[smSession] // XEP-0198, once enabled
	final    atomic.Bool               // the session ends on purpose: not kept for resumption
	csi      atomic.Pointer[csiState]  // XEP-0352, once the client said <inactive/>
	deadline time.Time                 // end of the negotiation
	inLast   int64                     // end of the last event observed
}

// Serve speaks XMPP until the stream ends (transport.Driver).
func (c *conn) Serve() {
	c.deadline = time.Now().Add(c.srv.cfg.Limits.NegotiationTimeout.Duration)
	if c.direct && c.refusal.Refused() {
		// Nothing can be said before TLS, and a handshake is what the
		// limit exists to spare.
		c.core.Log().Info().Str("ip", c.core.IP()).Str("reason", c.refusal.String()).Msg("connection refused before TLS")
		return
	}
	if c.direct && !c.directTLS() {
		return
	}
	c.newReader()
	if c.refusal.Refused() {
		// The client's own excess is a policy violation; the server's
		// total is a shortage of resources (RFC 6120 §4.9.3.17).
		cond := stream.PolicyViolation
		if c.refusal.Kind == listener.OverTotal {
			cond = stream.ResourceConstraint
		}
		c.run(negotiation.FaultEvent{Err: stream.Errorf(cond, "%s", c.refusal)})
		return
	}
	c.loop()
}

// loop reads and runs events until the stream ends or the session is
// parked. An idle session waits in awaitInput, called from here so that
// read's frame is not under it, and is parked there where the platform
// allows: this goroutine then returns, and Resume goes on on another.
func (c *conn) loop() {
	for c.m.State() != negotiation.Closed {
		deadline := c.readDeadline()
		c.in.data = false // the deadline is armed again from here
		err := c.awaitInput(deadline)
		if err == transport.ErrParked {
			return // the connection is no longer this goroutine's
		}
		if err == stream.ErrKeepalive {
			continue // whitespace only: wait again, from now, and park again
		}
		if !c.step(deadline, err) {
			return
		}
	}
}

// Resume takes up a parked session's loop (transport.Resumer): err is the
// outcome of its wait for input, deadline the read's. Input goes through
// the loop's wait, which finds it at once: a whitespace keepalive is taken
// there and the session parks again, where the decoder would wait for the
// next element.
func (c *conn) Resume(deadline time.Time, err error) {
	if err != nil && !c.step(deadline, err) {
		return
	}
	c.loop()
}

// step reads one event (after a wait that ended with err) and runs it;
// false: the connection ends.
func (c *conn) step(deadline time.Time, err error) bool {
	ev := c.read(deadline, err)
	if h := c.srv.testHookEvent; h != nil && ev != nil {
		h(ev)
	}
	return ev != nil && c.run(ev)
}

// Ended leaves the router once the core has closed the queue
// (transport.Driver).
func (c *conn) Ended() { c.unbind() }

func (c *conn) newReader() {
	c.inLast = 0
	c.in = activity{r: c.core.Source(), c: c}
	c.r = stream.NewReader(&c.in, c.srv.streamLimits(), readBufferSize)
}

// readDeadline is the deadline of the next read: before a session is
// bound the negotiation's, after it the idle timeout.
func (c *conn) readDeadline() time.Time {
	if c.bound() {
		return time.Now().Add(c.srv.cfg.Limits.IdleTimeout.Duration)
	}
	return c.deadline
}

// read waits for the next stream event and turns it into a machine event;
// nil means the client is gone. err is what the wait before it ended with
// (awaitInput).
func (c *conn) read(deadline time.Time, err error) negotiation.Event {
	var ev stream.Event
	if err == nil {
		if err = c.core.Arm(deadline); err != nil {
			return stopEvent(err)
		}
		ev, err = c.r.Next()
	}
	if err == nil {
		c.logIn(ev)
		c.observeIn(ev)
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
	if c.core.Stopping() == nil && errors.As(err, &serr) {
		c.core.Log().Info().Str("condition", string(serr.Condition)).Str("text", serr.Text).Msg("bad input from client")
		c.core.Note(transport.Note{Kind: transport.NoteInputRefused, Text: serr.Error()})
		return negotiation.FaultEvent{Err: serr}
	}
	switch c.core.ReadFailed(err) {
	case transport.Stopped:
		return stopEvent(c.core.Stopping())
	case transport.TimedOut:
		if c.bound() {
			return negotiation.TimeoutEvent{Waiting: "anything from an idle session"}
		}
		return negotiation.TimeoutEvent{Waiting: "stream negotiation to finish"}
	}
	return nil
}

// awaitInput waits for a bound session's next input in a shallow frame
// (transport's AwaitInput) when nothing is buffered: idle sessions park
// here, not in the XML decoder, and their stacks shrink.
//
//go:noinline
func (c *conn) awaitInput(deadline time.Time) error {
	if !c.bound() || c.r.Buffered() > 0 {
		return nil
	}
	return c.core.AwaitInput(deadline, c)
}

// Fill reads the session's next input into its reader (transport.Filler).
func (c *conn) Fill() error { return c.r.Fill() }

// Release lets the reader and the machine let go of what they hold between
// two stanzas, for a session about to be parked (transport.Releaser).
func (c *conn) Release() bool {
	c.m.Release()
	return c.r.Release()
}

// stopEvent turns the core's stop reason into the stream error that ends
// the stream (system-shutdown, conflict).
func stopEvent(err error) negotiation.Event {
	var serr *stream.Error
	if !errors.As(err, &serr) {
		serr = stream.Errorf(stream.InternalServerError, "%v", err)
	}
	return negotiation.StopEvent{Err: serr}
}

func (c *conn) bound() bool { return c.m.Facts()&negotiation.Bound != 0 }

func (c *conn) logDialect() {
	if c.m.State() == negotiation.Negotiating {
		c.core.Note(transport.Note{Kind: transport.NoteDialect, Text: c.m.Dialect().String()})
		c.core.Log().Info().Str("dialect", c.m.Dialect().String()).Str("stream", c.m.StreamID()).Str("phase", c.core.Phase()).Msg("stream opened")
	}
}

// startTLS hands the connection to the core's STARTTLS hand-off: the bytes
// the tokenizer had buffered past the request are the first bytes of the
// handshake, and a fresh tokenizer starts on the TLS connection. XML
// whitespace may stand between <starttls/> and the handshake: some clients
// (go-xmpp) send a newline after the request.
func (c *conn) startTLS() negotiation.Event {
	early := c.r.Rest()
	c.r = nil // nothing may parse the old stream again
	f, err := c.core.StartTLS(c.srv.opt.TLS, early, " \t\r\n", c.choice.Upgrader())
	if err != nil {
		return negotiation.TLSEvent{Err: err}
	}
	c.newReader()
	return negotiation.TLSEvent{Info: tlsInfo(f)}
}

// tlsInfo is what the machine needs of the core's TLS facts.
func tlsInfo(f *transport.Facts) *negotiation.TLSInfo {
	return &negotiation.TLSInfo{
		Version: f.Version, CipherSuite: f.CipherSuite, ServerName: f.ServerName,
		PeerCertificates: f.PeerCertificates, ClientVerified: f.ClientVerified,
		ExternalIdentities: f.Accounts, Exporter: f.Exporter, ServerEndPoint: f.ServerEndPoint,
	}
}

// JID implements chat.Session.
func (c *conn) JID() string {
	if p := c.jid.Load(); p != nil {
		return *p
	}
	return ""
}

// Deliver implements chat.Session: a stanza routed to this client. It
// only queues (the core writes it on a goroutine of this connection); a
// refusal means the stream has ended, and the router stores the stanza.
func (c *conn) Deliver(el *etree.Element) error {
	if st := c.csi.Load(); st != nil {
		if took, err := c.csiDeliver(st, el); took {
			return err
		}
	}
	return c.deliverNow(el)
}

// deliverNow is Deliver past client state indication.
func (c *conn) deliverNow(el *etree.Element) error {
	if s := c.sm.Load(); s != nil {
		return s.deliver(el)
	}
	return c.core.Enqueue(stream.Marshal(el), el)
}

// errSessionEnded refuses a delivery to a session with stream management
// that has ended (the router stores it).
var errSessionEnded = transport.ErrClosed

// Replace implements chat.Session: a newer session bound the same JID.
func (c *conn) Replace() {
	c.final.Store(true)
	c.core.StopWith(stream.Errorf(stream.Conflict, "replaced by a new session for the same resource"))
	if s := c.sm.Load(); s != nil {
		// A detached session waiting for its client is over too.
		s.mu.Lock()
		waiting := s.waiting && s.last == c
		s.waiting = s.waiting && !waiting
		s.mu.Unlock()
		if waiting {
			go s.finish()
		}
	}
}

// unbind leaves the router; a session with stream management may instead
// wait to be resumed (smSession.detach).
func (c *conn) unbind() {
	if s := c.sm.Load(); s != nil {
		s.detach(c)
		return
	}
	if c.JID() != "" {
		c.srv.router.Unbind(c)
		c.csiEnded()
	}
}
