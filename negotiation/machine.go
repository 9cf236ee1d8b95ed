// Package negotiation is the per-connection state machine: events in
// (headers, elements, TLS outcomes, timeouts), actions out (bytes to send,
// upgrade to TLS, restart, close). It owns no socket, which is what lets a
// whole negotiation be replayed from a transcript in a test.
package negotiation

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/stream"
)

// Config is what the machine needs to know about its listener and server.
type Config struct {
	Domain string
	TLS    config.TLSPolicy
	// NewID returns a fresh stream id; nil means random. Tests fix it.
	NewID func() string
}

// Machine negotiates one connection. It is not safe for concurrent use: the
// connection's goroutine owns it.
type Machine struct {
	cfg      *Config
	features []*Feature

	state    State
	dialect  Dialect
	facts    Facts
	tls      *TLSInfo
	streamID string
	header   *stream.Header // the client's current header
	sentOpen bool           // our header for the current stream is out

	out     bytes.Buffer
	actions []Action
}

// New returns a machine waiting for the client's first header.
func New(cfg *Config) *Machine {
	m := &Machine{cfg: cfg}
	m.features = []*Feature{startTLS()}
	return m
}

// State returns the machine's current state.
func (m *Machine) State() State { return m.state }

// Dialect returns the dialect chosen by the client's first header.
func (m *Machine) Dialect() Dialect { return m.dialect }

// Facts returns what is true of the connection now.
func (m *Machine) Facts() Facts { return m.facts }

// StreamID returns the id of the current stream ("" before the first header).
func (m *Machine) StreamID() string { return m.streamID }

// TLS returns the established TLS layer, or nil.
func (m *Machine) TLS() *TLSInfo { return m.tls }

// Handle feeds one event to the machine and returns what the connection must
// do, in order. The returned slice is valid until the next call.
func (m *Machine) Handle(ev Event) []Action {
	m.actions = m.actions[:0]
	if m.state == Closed {
		return nil
	}
	switch ev := ev.(type) {
	case HeaderEvent:
		m.onHeader(ev.Header)
	case ElementEvent:
		m.onElement(ev.Element, ev.Space)
	case CloseEvent:
		m.send([]byte(stream.CloseTag))
		m.close("client closed the stream")
	case FaultEvent:
		m.fail(ev.Err)
	case TLSEvent:
		m.onTLS(ev)
	case TimeoutEvent:
		m.fail(stream.Errorf(stream.ConnectionTimeout, "no data while waiting for %s", ev.Waiting))
	case ShutdownEvent:
		m.fail(stream.Errorf(stream.SystemShutdown, "the server is shutting down"))
	}
	m.flush()
	return m.actions
}

func (m *Machine) onHeader(h *stream.Header) {
	if m.state != AwaitHeader {
		// The tokenizer yields one header per stream; a second one here is
		// a machine/connection mismatch, not client input.
		m.fail(stream.Errorf(stream.InternalServerError, "unexpected stream header"))
		return
	}
	m.streamID = m.newID()
	// Every header chooses the dialect of its own stream: a scanner may open
	// in one and restart in the other, and is answered in each as it asks.
	m.dialect = Legacy
	if h.HasAttr("version") {
		m.dialect = RFC6120
	}
	dialect, err := m.checkHeader(h)
	if err != nil {
		m.fail(err)
		return
	}
	m.dialect = dialect
	m.header = h
	m.state = Negotiating
	m.send(m.serverHeader(h))
	m.sentOpen = true
	if m.dialect == RFC6120 {
		m.advertise()
	}
}

// advertise writes <stream:features> with every feature offered now.
func (m *Machine) advertise() {
	m.out.WriteString("<stream:features>")
	for _, f := range m.features {
		if f.Advertise != nil && f.offered(m) {
			f.Advertise(m, &m.out)
		}
	}
	m.out.WriteString("</stream:features>")
}

func (m *Machine) onElement(el *etree.Element, space string) {
	if m.state != Negotiating {
		m.fail(stream.Errorf(stream.InternalServerError, "unexpected element in state %s", m.state))
		return
	}
	if space == "" {
		space = m.header.Decls[""]
	}
	for _, f := range m.features {
		if !f.handles(space, el.Tag) {
			continue
		}
		if !f.offered(m) {
			m.fail(stream.Errorf(stream.PolicyViolation, "%s", f.Refusal(m)))
			return
		}
		f.Negotiate(m, el, space)
		return
	}
	if m.cfg.TLS == config.TLSRequired && m.facts&Secure == 0 {
		m.fail(stream.Errorf(stream.PolicyViolation, "TLS is required on this server: send STARTTLS before <%s/>", el.Tag))
		return
	}
	if space == stream.NSClient && isStanza(el.Tag) && m.facts&Authenticated == 0 {
		m.fail(stream.Errorf(stream.NotAuthorized, "authenticate before sending <%s/> stanzas", el.Tag))
		return
	}
	m.fail(stream.Errorf(stream.UnsupportedStanzaType, "<%s xmlns='%s'/> is not supported here", el.Tag, space))
}

func isStanza(local string) bool {
	return local == "message" || local == "presence" || local == "iq"
}

func (m *Machine) onTLS(ev TLSEvent) {
	if m.state != TLSPending {
		m.fail(stream.Errorf(stream.InternalServerError, "TLS outcome outside an upgrade"))
		return
	}
	if ev.Info == nil {
		// The XML stream was already closed and the bytes on the wire are
		// TLS: there is nothing XML left to say.
		m.state = Closed
		m.actions = append(m.actions, Action{Kind: Close, Reason: "TLS handshake failed: " + errText(ev.Err)})
		return
	}
	m.tls = ev.Info
	m.facts |= Secure
	m.state = AwaitHeader
	m.sentOpen = false
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// beginTLS is the common end of both STARTTLS flavours: what must be written
// before the handshake has been queued by the caller.
func (m *Machine) beginTLS() {
	m.state = TLSPending
	m.flush()
	m.actions = append(m.actions, Action{Kind: StartTLS})
}

// fail ends the stream with a stream error. A header goes first if none was
// sent for this stream.
func (m *Machine) fail(err *stream.Error) {
	if m.state == Closed {
		return
	}
	if !m.sentOpen {
		if m.streamID == "" {
			m.streamID = m.newID()
		}
		m.send(m.errorHeader())
		m.sentOpen = true
	}
	m.send(err.Bytes())
	m.send([]byte(stream.CloseTag))
	m.close(string(err.Condition) + ": " + err.Text)
}

func (m *Machine) close(reason string) {
	m.state = Closed
	m.flush()
	m.actions = append(m.actions, Action{Kind: Close, Reason: reason})
}

func (m *Machine) send(b []byte) { m.out.Write(b) }

// flush turns buffered output into one Send action, so that a header and
// its features leave in one write.
func (m *Machine) flush() {
	if m.out.Len() == 0 {
		return
	}
	m.actions = append(m.actions, Action{Kind: Send, Data: bytes.Clone(m.out.Bytes())})
	m.out.Reset()
}

func (m *Machine) newID() string {
	if m.cfg.NewID != nil {
		return m.cfg.NewID()
	}
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b[:])
}
