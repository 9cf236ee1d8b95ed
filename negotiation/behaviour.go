package negotiation

import (
	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/stream"
)

// SetEffect bends the machine for a lab profile from the next event on
// (package lab decides which profile turns what). The zero Effect is the
// standard behaviour; it only ever affects this connection.
func (m *Machine) SetEffect(e wire.Effect) { m.beh = e }

// baitActive: credentials sent now would be the bait's.
func (m *Machine) baitActive() bool {
	return m.beh.PlaintextBait && m.facts&Secure == 0
}

// injection is what the inject-after-proceed profile writes right after the
// go-ahead for TLS: stream features whose only mechanism is the injection's
// own. A client that later asks for it read the injection as if it had come
// over TLS.
var injection = []byte("<stream:features><mechanisms xmlns='" + sasl.NS + "'><mechanism>" + wire.InjectedMechanism + "</mechanism></mechanisms></stream:features>")

// The forgeries a lab profile injects after the go-ahead for TLS
// (Effect.Forge), as a man in the middle would write them in plaintext.
var (
	forgedSuccess = []byte("<success xmlns='" + sasl.NS + "'/>")
	forgedProceed = []byte("<proceed xmlns='" + NSTLS + "'/>")
)

// forgedStreamID is the id of an injected stream header.
const forgedStreamID = "x-jabberd-injected"

// forge writes the forgery of Effect.Forge. The forged RFC 6120 elements
// follow only an RFC 6120 stream's go-ahead (XEP-0035 has no <success/>,
// and its go-ahead is itself a close); an injected stream takes the form
// of the client's dialect.
func (m *Machine) forge() {
	rfc := m.dialect == RFC6120
	switch m.beh.Forge {
	case wire.ForgeSuccess:
		if rfc {
			m.send(forgedSuccess)
		}
	case wire.ForgeProceed:
		if rfc {
			m.send(forgedProceed)
		}
	case wire.ForgeClose:
		if rfc {
			m.send([]byte(stream.CloseTag))
		}
	case wire.ForgeStream:
		// A header as this server would write it (under another id),
		// then what follows it in the client's dialect.
		attrs := []stream.Attr{
			{Key: "xmlns", Value: stream.NSClient},
			{Key: "xmlns:stream", Value: stream.NSStreams},
		}
		if rfc {
			attrs = append(attrs, stream.Attr{Key: "id", Value: forgedStreamID}, stream.Attr{Key: "from", Value: m.cfg.Domain},
				stream.Attr{Key: "version", Value: "1.0"}, stream.Attr{Key: "xml:lang", Value: "en"})
			m.send(append([]byte(xmlDecl), stream.OpenTag(attrs...)...))
			m.send(injection)
			return
		}
		// XEP-0034: the header echoes the SASL namespace (under the
		// client's prefix when it declared one) and lists the mechanisms.
		p, ok := m.legacyPrefix(sasl.NSLegacy)
		if !ok {
			p = "sasl"
		}
		attrs = append(attrs, stream.Attr{Key: "xmlns:" + p, Value: sasl.NSLegacy},
			stream.Attr{Key: "id", Value: forgedStreamID}, stream.Attr{Key: "from", Value: m.cfg.Domain})
		m.send(stream.OpenTag(attrs...))
		sasl.Profile{Legacy: true, Prefix: p}.Mechanisms(&m.out, []string{wire.InjectedMechanism})
	}
}
