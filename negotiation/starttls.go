package negotiation

import (
	"bytes"
	"errors"

	"github.com/beevik/etree"

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
		Name:      "starttls",
		Upgrade:   true,
		Forbids:   Secure,
		Available: func(m *Machine) bool { return m.cfg.TLS.Available() && !m.beh.StripStartTLS },
		Refusal: func(m *Machine) string {
			if m.facts&Secure != 0 {
				return "TLS is already active on this stream"
			}
			return "STARTTLS is not available on this listener"
		},
		Advertise: func(m *Machine, b *bytes.Buffer) {
			if m.cfg.TLS == tlspolicy.Required {
				b.WriteString("<starttls xmlns='" + NSTLS + "'><required/></starttls>")
				return
			}
			b.WriteString("<starttls xmlns='" + NSTLS + "'/>")
		},
		LegacyNS: NSLegacyTLS,
		Requests: []Request{{NSTLS, "starttls"}, {NSLegacyTLS, "starttls"}},
		Negotiate: func(m *Machine, _ *etree.Element, space string) {
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
