package irc

// startTLSProceed is the text of 670, as the IRCv3 tls extension shows it.
const startTLSProceed = "STARTTLS successful, proceed with TLS handshake"

// Behaviour bends the STARTTLS path for a lab profile. Its zero value is the
// standard behaviour, and every knob is read in this file only: when
// advertising (offersStartTLS) and when acting (onStartTLS).
type Behaviour struct {
	// StripStartTLS hides STARTTLS as a man in the middle would: no tls
	// capability, and the command gets 421 as from a server without it.
	StripStartTLS bool
	// FailStartTLS, when set, refuses every STARTTLS with 691 and this text.
	FailStartTLS string
	// InjectAfter670 is written in plaintext right after 670, in the same
	// write, where the client expects the server's handshake: a correct
	// client discards what it had read past 670 (or fails the handshake
	// on it) instead of reading it as IRC.
	InjectAfter670 []byte
}

// offersStartTLS: the tls capability is listed while the connection is
// plaintext and unregistered on a listener that offers TLS.
func (m *Machine) offersStartTLS() bool {
	return !m.beh.StripStartTLS && m.cfg.TLS.Available() && m.tls == nil && m.state == Unregistered
}

// onStartTLS decides a STARTTLS request; it is the one place the upgrade
// path starts. Every refusal leaves the connection usable as it was.
//
//	listener without TLS (tls = "disabled")     421 (as a server without the extension)
//	TLS already active                          691
//	after registration                          691
//	server-side problem (expired certificate)   691 with the reason
func (m *Machine) onStartTLS(*Message) {
	b := m.beh
	switch {
	case b.StripStartTLS:
		m.reply(ERR_UNKNOWNCOMMAND, "STARTTLS", "Unknown command")
		m.do(Action{Kind: Refused, Reason: "STARTTLS stripped (lab behaviour)"})
		return
	case !m.cfg.TLS.Available():
		m.refuseStartTLS(ERR_UNKNOWNCOMMAND, "STARTTLS is disabled on this listener")
		return
	case m.tls != nil:
		m.refuseStartTLS(ERR_STARTTLS, "STARTTLS failed: TLS is already active on this connection")
		return
	case m.state == Registered:
		m.refuseStartTLS(ERR_STARTTLS, "STARTTLS failed: not permitted after registration")
		return
	case b.FailStartTLS != "":
		m.refuseOffered(b.FailStartTLS)
		return
	}
	if ready := m.cfg.TLSReady; ready != nil {
		if err := ready(); err != nil {
			m.refuseOffered("STARTTLS failed: " + err.Error())
			return
		}
	}
	m.reply(RPL_STARTTLS, startTLSProceed)
	if len(b.InjectAfter670) > 0 {
		m.do(Action{Kind: Send, Raw: b.InjectAfter670})
	}
	m.state = Upgrading
	m.do(Action{Kind: StartTLS})
}

func (m *Machine) refuseStartTLS(code Numeric, reason string) {
	if code == ERR_UNKNOWNCOMMAND {
		m.reply(code, "STARTTLS", reason)
	} else {
		m.reply(code, reason)
	}
	m.do(Action{Kind: Refused, Reason: reason})
}

// refuseOffered refuses with 691 a STARTTLS that the tls capability had
// promised (Action.Offered).
func (m *Machine) refuseOffered(reason string) {
	m.reply(ERR_STARTTLS, reason)
	m.do(Action{Kind: Refused, Reason: reason, Offered: true})
}

// onTLS takes the outcome of the handshake. After a failure nothing can be
// said: the bytes on the wire are neither TLS nor IRC any more.
func (m *Machine) onTLS(ev TLSEvent) {
	if m.state != Upgrading {
		return
	}
	if ev.Info == nil {
		reason := "TLS handshake failed"
		if ev.Err != nil {
			reason += ": " + ev.Err.Error()
		}
		m.cfg.Net.Quit(m.member, "TLS handshake failed")
		m.close(reason)
		return
	}
	m.tls = ev.Info
	m.state = Unregistered
}
