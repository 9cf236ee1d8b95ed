package irc

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"jabberd/sasl"
)

// IRCv3 SASL 3.1 framing: base64 in AUTHENTICATE lines of at most 400
// bytes; a line of exactly 400 means more follows; "+" is an empty line.
const (
	saslChunk = 400
	// maxSASLResponse bounds the base64 text of one response.
	maxSASLResponse = 8192
)

// saslAttempt is an AUTHENTICATE exchange under way.
type saslAttempt struct {
	mech    string
	session sasl.Session // nil for the lab's bait
	buf     []byte       // base64 of the response being collected
	// bait: PLAIN before TLS under a profile that offers it as bait
	// (Effect.PlaintextBait); the response is refused unread.
	bait bool
}

// mechanisms are the SASL mechanisms usable now: EXTERNAL only over TLS
// with a verified certificate that maps to an account, PLAIN over TLS (or
// in plaintext where auth.insecure_allow_passwords_without_tls allows it).
func (m *Machine) mechanisms() []string {
	var out []string
	for _, mech := range m.cfg.Mechanisms {
		if m.mechanismRefusal(mech.Name()) == "" {
			out = append(out, mech.Name())
		}
	}
	return out
}

// saslOffer is the sasl capability's value (nil: not listed). While
// STARTTLS is on offer it lists every configured mechanism, EXTERNAL and
// PLAIN included, although neither may be used yet: a client reads CAP LS
// once, before STARTTLS (irssi), and must know to request sasl after the
// handshake. Once that is past, it lists what may be used (cap-notify tells
// of the change). The lab's bait adds PLAIN before TLS.
func (m *Machine) saslOffer() []string {
	var out []string
	for _, mech := range m.cfg.Mechanisms {
		name := mech.Name()
		if m.offersStartTLS() || m.mechanismRefusal(name) == "" || m.baits(name) {
			out = append(out, name)
		}
	}
	return out
}

// baits reports whether mechanism name is offered before TLS as the lab's
// bait (its response is refused unread).
func (m *Machine) baits(name string) bool {
	return name == "PLAIN" && m.tls == nil && m.beh.PlaintextBait && m.mechanismRefusal(name) != ""
}

// mechanismRefusal says why a configured mechanism may not be used now,
// "" when it may: the text of the 904 a client gets for asking.
func (m *Machine) mechanismRefusal(name string) string {
	t := m.tls
	switch name {
	case "EXTERNAL":
		switch {
		case t == nil:
			return "EXTERNAL needs TLS with a client certificate: send STARTTLS (or connect to the TLS port) with one first"
		case t.ClientCert == "":
			return "EXTERNAL needs a client certificate, and the TLS handshake showed none"
		case !t.ClientVerified:
			return "EXTERNAL needs a client certificate that verifies (" + t.ClientError + ")"
		case len(t.Accounts) == 0:
			return "EXTERNAL needs a client certificate that maps to an account (" + t.ClientError + ")"
		}
	case "PLAIN":
		if t == nil && !m.cfg.PlaintextPasswords {
			return "PLAIN is refused before TLS, where the password would cross the network in the clear: send STARTTLS (or connect to the TLS port) first"
		}
	}
	return ""
}

// onAuthenticate runs SASL: "AUTHENTICATE MECH" starts, "+" answers the
// server's empty challenge, base64 carries the response, "*" aborts.
func (m *Machine) onAuthenticate(msg *Message) {
	arg := msg.Params[0]
	switch {
	case !m.caps[capSASL]:
		m.reply(ERR_SASLFAIL, "SASL authentication failed: request the sasl capability first")
	case m.account != "":
		m.reply(ERR_SASLALREADY, "You have already authenticated using SASL")
	case arg == "*":
		m.abortSASL()
	case m.auth == nil:
		m.startSASL(arg)
	case len(arg) > saslChunk:
		m.auth = nil
		m.reply(ERR_SASLTOOLONG, "SASL message too long")
	default:
		if arg != "+" {
			m.auth.buf = append(m.auth.buf, arg...)
		}
		if len(m.auth.buf) > maxSASLResponse {
			m.auth = nil
			m.reply(ERR_SASLTOOLONG, "SASL message too long")
			return
		}
		if len(arg) == saslChunk {
			return // more follows
		}
		data, err := base64.StdEncoding.DecodeString(string(m.auth.buf))
		if err != nil {
			m.auth = nil
			m.reply(ERR_SASLFAIL, "SASL authentication failed: the response is not valid base64")
			return
		}
		m.auth.buf = nil
		m.step(data)
	}
}

func (m *Machine) startSASL(name string) {
	name = strings.ToUpper(name)
	avail := m.mechanisms()
	if !slices.Contains(sasl.KnownMechanisms, name) {
		// Not a mechanism this server knows: perhaps a response chunk
		// sent after the exchange was dropped, which may carry a
		// password. Never echoed.
		if len(avail) > 0 {
			m.reply(RPL_SASLMECHS, strings.Join(avail, ","), "are available SASL mechanisms")
		}
		m.reply(ERR_SASLFAIL, "SASL authentication failed: that mechanism is not available")
		return
	}
	i := slices.IndexFunc(m.cfg.Mechanisms, func(mech sasl.Mechanism) bool { return mech.Name() == name })
	if i >= 0 && m.baits(name) {
		m.auth = &saslAttempt{mech: name, bait: true}
		m.sendChallenge(nil)
		return
	}
	if i < 0 || !slices.Contains(avail, name) {
		if len(avail) > 0 {
			m.reply(RPL_SASLMECHS, strings.Join(avail, ","), "are available SASL mechanisms")
		}
		why := "mechanism " + name + " is not available"
		if r := m.mechanismRefusal(name); i >= 0 && r != "" {
			why = r
		}
		m.reply(ERR_SASLFAIL, "SASL authentication failed: "+why)
		return
	}
	ctx := &sasl.Context{Domain: m.cfg.Domain, Secure: m.tls != nil}
	if m.tls != nil {
		ctx.ExternalIdentities = m.tls.Accounts
	}
	m.auth = &saslAttempt{mech: name, session: m.cfg.Mechanisms[i].Start(ctx)}
	m.sendChallenge(nil)
}

// labBaitRefusal is the 904 for a response sent to the bait: the
// credentials crossed the network in the clear and are never checked.
const labBaitRefusal = "SASL authentication failed: encryption required: PLAIN before TLS is a lab profile's bait, and the password was not checked"

// step hands one complete response to the mechanism.
func (m *Machine) step(data []byte) {
	a := m.auth
	if a.bait {
		m.auth = nil
		m.reply(ERR_SASLFAIL, labBaitRefusal)
		m.do(Action{Kind: LoginFailed, Mechanism: a.mech, Reason: "credentials sent before TLS to the lab's bait: never checked"})
		return
	}
	challenge, done, err := a.session.Next(m.qualify(a.mech, data))
	if !done {
		m.sendChallenge(challenge)
		return
	}
	m.auth = nil
	if err != nil {
		text := err.Error()
		var f *sasl.Failure
		if errors.As(err, &f) {
			text = f.Text
		}
		m.reply(ERR_SASLFAIL, "SASL authentication failed: "+text)
		m.do(Action{Kind: LoginFailed, Mechanism: a.mech, Reason: text})
		if f == nil || !f.Negotiation {
			m.failures++
		}
		limit := m.cfg.MaxFailures
		if limit <= 0 {
			limit = 3
		}
		if m.failures >= limit {
			m.quit("Too many failed SASL attempts")
		}
		return
	}
	m.account = a.session.Identity().Username
	m.reply(RPL_LOGGEDIN, m.prefix(), m.account, "You are now logged in as "+m.account)
	m.reply(RPL_SASLSUCCESS, "SASL authentication successful")
	m.do(Action{Kind: LoggedIn, Mechanism: a.mech, Account: m.account})
}

// sendChallenge sends base64 in 400-byte lines; an empty challenge, or a
// last line of exactly 400, is followed by "+".
func (m *Machine) sendChallenge(challenge []byte) {
	enc := base64.StdEncoding.EncodeToString(challenge)
	for len(enc) >= saslChunk {
		m.sendSASL(enc[:saslChunk])
		enc = enc[saslChunk:]
	}
	if enc == "" {
		enc = "+"
	}
	m.sendSASL(enc)
}

// sendSASL sends one AUTHENTICATE line; a challenge is redacted in the log
// (an empty one, "+", says nothing).
func (m *Machine) sendSASL(text string) {
	m.actions = append(m.actions, Action{Kind: Send, Line: "AUTHENTICATE " + text, Redact: text != "+"})
}

func (m *Machine) abortSASL() {
	m.auth = nil
	m.reply(ERR_SASLABORTED, "SASL authentication aborted")
}

// qualify turns an IRC account name given as authorization identity into
// the bare JID the mechanisms compare ("alice" → "alice@localhost"): IRC
// clients name accounts, not JIDs.
func (m *Machine) qualify(mech string, data []byte) []byte {
	switch mech {
	case "EXTERNAL":
		return qualifyID(data, m.cfg.Domain)
	case "PLAIN":
		if authz, rest, ok := bytes.Cut(data, []byte{0}); ok {
			out := append(bytes.Clone(qualifyID(authz, m.cfg.Domain)), 0)
			return append(out, rest...)
		}
	}
	return data
}

func qualifyID(id []byte, domain string) []byte {
	if len(id) == 0 || bytes.IndexByte(id, '@') >= 0 {
		return id
	}
	return append(append(bytes.Clone(id), '@'), domain...)
}
