package negotiation

// Behaviour bends the negotiation for a lab profile (package lab decides
// which knobs a profile turns). Its zero value is the standard behaviour.
// It may change while the stream runs (a profile chosen by the username in
// the header), and only ever affects its own connection.
type Behaviour struct {
	// StripStartTLS hides STARTTLS as a man in the middle would: no
	// <starttls/> feature, no xmlns:tls echo; a request for it is refused
	// as on a listener without TLS.
	StripStartTLS bool
	// FailStartTLS offers STARTTLS and refuses every request: <failure/>
	// (RFC 6120) or a stream error (XEP-0035).
	FailStartTLS bool
	// PlaintextBait offers PLAIN, and the password field of XEP-0078, before
	// TLS whatever the listener's policy. Credentials that come are never
	// checked: SASL gets encryption-required, XEP-0078 not-authorized.
	PlaintextBait bool
	// Inject is written in plaintext right after the go-ahead for TLS
	// (<proceed/> or </stream:stream>), in the same write.
	Inject []byte
	// ExternalThenFail offers EXTERNAL once TLS is up, certificate or not,
	// and answers it with not-authorized.
	ExternalThenFail bool
}

// SetBehaviour changes the machine's lab behaviour from the next event on.
func (m *Machine) SetBehaviour(b Behaviour) { m.beh = b }

// baitActive: credentials sent now would be the bait's.
func (m *Machine) baitActive() bool {
	return m.beh.PlaintextBait && m.facts&Secure == 0
}
