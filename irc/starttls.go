package irc

import "jabberd/lab/wire"

// startTLSProceed is the text of 670, as the IRCv3 tls extension shows it.
const startTLSProceed = "STARTTLS successful, proceed with TLS handshake"

// The lab's effects on the STARTTLS path (wire.Effect) are read in this
// file only: when advertising (offersStartTLS) and when acting
// (onStartTLS).

// labFailStartTLS is the text of 691 under fail-starttls: a tester reading
// the wire must not take it for a real server problem.
const labFailStartTLS = "STARTTLS failed: refused on purpose (lab profile fail-starttls)"

// labInjection is written in plaintext right after 670 under
// inject-after-proceed, in the same write, where the client expects the
// server's handshake: a PING whose token only the injection carries. A
// client that answers PONG :X-JABBERD-INJECTED (in plaintext into the
// handshake, or over TLS from a buffer it should have discarded) read it
// as IRC.
var labInjection = []byte("PING :" + wire.InjectedMechanism + "\r\n")

// forgedNumerics is what inject-numerics writes in plaintext after 670: the
// numerics that end a SASL login and registration (903, 001), which a
// client that reads them from its buffer after TLS takes for the server's.
func (m *Machine) forgedNumerics() []byte {
	nick := m.nick
	if nick == "" {
		nick = "*"
	}
	return []byte(format(m.cfg.ServerName, string(RPL_SASLSUCCESS), []string{nick, "SASL authentication successful"}, true) + "\r\n" +
		format(m.cfg.ServerName, string(RPL_WELCOME), []string{nick, "Welcome to the jabberd IRC network, " + nick}, true) + "\r\n")
}

// offersStartTLS: the tls capability is listed while the connection is
// plaintext and unregistered on a listener that offers TLS.
func (m *Machine) offersStartTLS() bool {
	return !m.beh.StripStartTLS && !m.beh.STSStripped && m.cfg.TLS.Available() && m.tls == nil && m.state == Unregistered
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
	case b.FailStartTLS:
		m.refuseOffered(labFailStartTLS)
		return
	}
	if ready := m.cfg.TLSReady; ready != nil {
		if err := ready(); err != nil {
			m.refuseOffered("STARTTLS failed: " + err.Error())
			return
		}
	}
	m.reply(RPL_STARTTLS, startTLSProceed)
	if b.Inject {
		m.do(Action{Kind: Send, Raw: labInjection})
	}
	if b.InjectNumerics {
		m.do(Action{Kind: Send, Raw: m.forgedNumerics()})
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
