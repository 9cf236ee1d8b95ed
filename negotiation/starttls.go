package negotiation

import (
	"bytes"
	"errors"

	"github.com/beevik/etree"

	"jabberd/lab/wire"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// The two STARTTLS namespaces: the RFC 6120 one and XEP-0035's, which
// borrowed RFC 2595's URI.
const (
	NSTLS       = "urn:ietf:params:xml:ns:xmpp-tls"
	NSLegacyTLS = "http://www.ietf.org/rfc/rfc2595.txt"
)

// startTLS is the STARTTLS feature in both flavours. Each request is answered
// in its own namespace, whatever the header's dialect: scanners send
// version='1.0' headers declaring the legacy namespace and then the RFC 6120
// request, and each must get the answer it asked for.
func startTLS() *Feature {
	return &Feature{
		Name:    "starttls",
		Upgrade: true,
		// TLS already up forbids it, unless the lab offers it again.
		Available: func(m *Machine) bool {
			return m.cfg.TLS.Available() && !m.beh.StripStartTLS && (m.facts&Secure == 0 || m.beh.StartTLSAgain)
		},
		Refusal: func(m *Machine) string {
			if m.facts&Secure != 0 {
				return "TLS is already active on this stream"
			}
			return "STARTTLS is not available on this listener"
		},
		Advertise: func(m *Machine, b *bytes.Buffer) {
			if m.beh.StartTLSLate {
				// The first features element ends before it (STARTTLS is
				// advertised first): it comes only in a second one.
				b.WriteString("</stream:features><stream:features>")
			}
			if m.cfg.TLS == tlspolicy.Required && m.facts&Secure == 0 && !m.beh.HideRequired {
				b.WriteString("<starttls xmlns='" + NSTLS + "'><required/></starttls>")
				return
			}
			b.WriteString("<starttls xmlns='" + NSTLS + "'/>")
		},
		LegacyNS: NSLegacyTLS,
		Requests: []Request{{NSTLS, "starttls"}, {NSLegacyTLS, "starttls"}},
		Negotiate: func(m *Machine, _ *etree.Element, space string) {
			if m.facts&Secure != 0 {
				// Only the lab offers STARTTLS inside TLS: a client asks once.
				m.fail(stream.Errorf(stream.PolicyViolation, "TLS is already active on this stream (STARTTLS was offered again on purpose by the lab profile starttls-again)"))
				return
			}
			if m.beh.IgnoreStartTLS {
				// The request goes unanswered on purpose: the stream stays
				// in plaintext negotiation, and what the client does next
				// is read as usual.
				return
			}
			if m.beh.FailStartTLS {
				m.tlsUnavailable(space, errLabRefusal)
				return
			}
			if ready := m.cfg.TLSReady; ready != nil {
				if err := ready(); err != nil {
					m.tlsUnavailable(space, err)
					return
				}
			}
			if space == NSTLS {
				m.send([]byte("<proceed xmlns='" + NSTLS + "'/>"))
			} else {
				// XEP-0035: the server closes the XML stream and keeps the
				// TCP connection for the handshake.
				m.send([]byte("</stream:stream>"))
			}
			if m.beh.Inject {
				// The lab's injection leaves in the same write as the go-ahead.
				m.send(injection)
			}
			if m.beh.Forge != wire.ForgeNone {
				m.forge()
			}
			m.beginTLS()
		},
	}
}

// errLabRefusal is the reason the fail-starttls profile gives.
var errLabRefusal = errors.New("STARTTLS refused on purpose (lab profile fail-starttls)")

// tlsUnavailable refuses a STARTTLS request the server cannot honour: RFC
// 6120 §5.4.2.2 answers <failure/> and closes the stream and the connection;
// XEP-0035 has no failure element, so a stream error says why.
func (m *Machine) tlsUnavailable(space string, err error) {
	m.flush()
	m.actions = append(m.actions, Action{Kind: TLSRefused, Reason: err.Error()})
	if space != NSTLS {
		m.fail(stream.Errorf(stream.InternalServerError, "TLS is unavailable on this server: %v", err))
		return
	}
	m.send([]byte("<failure xmlns='" + NSTLS + "'/>"))
	m.send([]byte(stream.CloseTag))
	m.close("TLS is unavailable: " + err.Error())
}
