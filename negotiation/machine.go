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

	"jabberd/accounts"
	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// Config is what the machine needs to know about its listener and server.
type Config struct {
	Domain string
	TLS    tlspolicy.Policy
	// NewID returns a fresh stream id; nil means random. Tests fix it.
	NewID func() string
	// Auth configures authentication; nil offers none.
	Auth *Auth
	// TLSReady reports a server-side TLS problem (an expired certificate)
	// found when a client asks for STARTTLS; nil means always ready.
	TLSReady func() error
	// SM offers XEP-0198 stream management; nil offers none.
	SM *SM
	// CSI offers XEP-0352 client state indication.
	CSI bool
}

// Auth is the authentication policy of a listener.
type Auth struct {
	// Mechanisms in the order they are advertised.
	Mechanisms []sasl.Mechanism
	Accounts   accounts.Store
	// AllowPlaintext permits password authentication before TLS. The
	// configuration key that sets it says the risk in its name.
	AllowPlaintext bool
	// MaxFailures ends the stream with policy-violation after this many
	// failed attempts (0: 3).
	MaxFailures int
	// Digest enables the XEP-0078 <digest/> login, which needs the password
	// form of the credential.
	Digest bool
	// Register creates an account (XEP-0077 in-band registration); nil
	// disables registration. ErrAccountExists for a taken name.
	Register func(name, password string) error
}

// Machine negotiates one connection. It is not safe for concurrent use: the
// connection's goroutine owns it.
type Machine struct {
	cfg *Config

	state    State
	dialect  Dialect
	facts    Facts
	tls      *TLSInfo // what SASL needs of TLS (channel binding, EXTERNAL); nil before TLS and once bound
	streamID string
	decls    stream.Decls // the namespaces the client's current header declared
	sentOpen bool         // our header for the current stream is out

	auth authState
	jid  string // the bound full JID
	beh  wire.Effect
	smOn bool   // XEP-0198 enabled
	smIn uint32 // stanzas received since, modulo 2^32

	out     bytes.Buffer
	actions []Action
}

// negotiationOut is the room the machine's output starts with: the largest
// of a login's writes (a header and the features after SASL) is about 500
// bytes.
const negotiationOut = 768

// features are every machine's, in the order they are advertised. They
// are values (what they do depends on the machine passed to them), made
// once: a connection does not pay for its own copies.
var features = []*Feature{startTLS(), saslFeature(), register(), iqAuth(), bindFeature(), smFeature(), csiFeature()}

// New returns a machine waiting for the client's first header.
func New(cfg *Config) *Machine {
	return &Machine{cfg: cfg}
}

// StartSecure tells a machine that has not seen a header yet that TLS is
// already established (XEP-0368 direct TLS): no STARTTLS will be offered.
func (m *Machine) StartSecure(info *TLSInfo) {
	m.tls = info
	m.facts |= Secure
}

// State returns the machine's current state.
func (m *Machine) State() State { return m.state }

// Dialect returns the dialect chosen by the client's first header.
func (m *Machine) Dialect() Dialect { return m.dialect }

// Facts returns what is true of the connection now.
func (m *Machine) Facts() Facts { return m.facts }

// StreamID returns the id of the current stream ("" before the first header).
func (m *Machine) StreamID() string { return m.streamID }

// JID returns the bound full JID, or "".
func (m *Machine) JID() string { return m.jid }

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
	case StopEvent:
		m.fail(ev.Err)
	case ResumeEvent:
		m.onResumed(ev)
	}
	m.flush()
	if m.facts&Bound != 0 && m.out.Cap() > 256 {
		// The negotiation's output buffer (features, the TLS and SASL
		// exchanges) would stay with an idle session for its lifetime;
		// a bound session rarely writes through the machine.
		m.out = bytes.Buffer{}
	}
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
	m.decls = h.Decls // what the session reads of its header from now on
	m.state = Negotiating
	if m.out.Cap() == 0 {
		// A header and its features, then the TLS and SASL exchanges,
		// fit: one allocation instead of a growth at each doubling.
		m.out.Grow(negotiationOut)
	}
	m.writeServerHeader(&m.out, h)
	m.sentOpen = true
	if m.dialect == RFC6120 {
		m.advertise()
		return
	}
	for _, f := range features {
		if f.AdvertiseLegacy == nil || f.LegacyNS == "" || !f.offered(m) {
			continue
		}
		if p, ok := m.legacyPrefix(f.LegacyNS); ok {
			f.AdvertiseLegacy(m, &m.out, p)
		}
	}
}

// advertise writes <stream:features> with every feature offered now.
func (m *Machine) advertise() {
	m.out.WriteString("<stream:features>")
	for _, f := range features {
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
	if m.facts&Bound != 0 && space == stream.NSClient && isStanza(el.Tag) {
		if m.smOn {
			m.smIn++
		}
		m.onStanza(el)
		return
	}
	var feature *Feature
	for _, f := range features {
		if f.handles(el, space) {
			feature = f
			break
		}
	}
	baited := m.baitActive() && feature != nil && feature.Credentials
	if m.cfg.TLS == tlspolicy.Required && m.facts&Secure == 0 && (feature == nil || !feature.Upgrade) && !baited {
		m.fail(stream.Errorf(stream.PolicyViolation, "TLS is required on this server: send STARTTLS before <%s/>", el.Tag))
		return
	}
	switch {
	case feature != nil && feature.offered(m):
		feature.Negotiate(m, el, space)
	case feature != nil && feature.Refuse != nil:
		feature.Refuse(m, el, space)
	case feature != nil:
		m.fail(stream.Errorf(stream.PolicyViolation, "%s", feature.Refusal(m)))
	case space == stream.NSClient && isStanza(el.Tag) && m.facts&Authenticated == 0:
		m.fail(stream.Errorf(stream.NotAuthorized, "authenticate before sending <%s/> stanzas", el.Tag))
	case space == stream.NSClient && isStanza(el.Tag):
		m.fail(stream.Errorf(stream.NotAuthorized, "bind a resource before sending <%s/> stanzas", el.Tag))
	default:
		m.fail(stream.Errorf(stream.UnsupportedStanzaType, "<%s xmlns='%s'/> is not supported here", el.Tag, space))
	}
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
// Release lets go of the machine's scratch between events (the actions of
// the last one, which the caller has performed): a session that waits long
// for its client keeps none of it.
func (m *Machine) Release() {
	m.actions = nil
	if m.out.Len() == 0 {
		m.out = bytes.Buffer{}
	}
}

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
