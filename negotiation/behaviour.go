package negotiation

import (
	"jabberd/lab/wire"
	"jabberd/sasl"
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
