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
	session sasl.Session
	buf     []byte // base64 of the response being collected
}

// mechanisms are the SASL mechanisms usable now: none before TLS, EXTERNAL
// only with a verified certificate that maps to an account (so that the
// sasl capability, which lists them, is shown only when one may work).
func (m *Machine) mechanisms() []string {
	if m.tls == nil {
		return nil
	}
	var out []string
	for _, mech := range m.cfg.Mechanisms {
		if mech.Name() == "EXTERNAL" && len(m.tls.Accounts) == 0 {
			continue
		}
		out = append(out, mech.Name())
	}
	return out
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
	if i < 0 || !slices.Contains(avail, name) {
		if len(avail) > 0 {
			m.reply(RPL_SASLMECHS, strings.Join(avail, ","), "are available SASL mechanisms")
		}
		m.reply(ERR_SASLFAIL, "SASL authentication failed: mechanism "+name+" is not available")
		return
	}
	ctx := &sasl.Context{Domain: m.cfg.Domain, Secure: true, ExternalIdentities: m.tls.Accounts}
	m.auth = &saslAttempt{mech: name, session: m.cfg.Mechanisms[i].Start(ctx)}
	m.sendChallenge(nil)
}

// step hands one complete response to the mechanism.
func (m *Machine) step(data []byte) {
	a := m.auth
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
