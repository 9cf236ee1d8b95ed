package irc

import (
	"slices"
	"strconv"
	"strings"
)

// Capability names.
const (
	capSASL = "sasl"
	capTLS  = "tls"
)

// capability is one entry of CAP LS; value is shown to 302 clients.
type capability struct{ name, value string }

// listed are the capabilities on offer now. The rule is the same when
// advertising (LS) and when acting (REQ): tls while plaintext and STARTTLS
// would be accepted, sasl while a mechanism may be used now or after
// STARTTLS (saslOffer), sts while a policy is configured (sts.go);
// cap-notify always (capnotify.go).
func (m *Machine) listed() []capability {
	caps := slices.Clone(chatCaps) // chatcaps.go
	caps = append(caps, capability{capNotify, ""})
	if mechs := m.saslOffer(); len(mechs) > 0 {
		caps = append(caps, capability{capSASL, strings.Join(mechs, ",")})
	}
	if v := m.stsValue(); v != "" {
		caps = append(caps, capability{capSTS, v})
	}
	if m.offersStartTLS() {
		caps = append(caps, capability{capTLS, ""})
	}
	return caps
}

func (m *Machine) isListed(name string) bool {
	return slices.ContainsFunc(m.listed(), func(c capability) bool { return c.name == name })
}

// onCap is IRCv3 capability negotiation (LS, LIST, REQ, END). LS and REQ
// before registration suspend it until END.
func (m *Machine) onCap(msg *Message) {
	sub := strings.ToUpper(msg.Params[0])
	switch sub {
	case "LS":
		if m.state != Registered {
			m.capNegotiating = true
		}
		if v, err := strconv.Atoi(msg.Param(1)); err == nil && v >= 302 {
			m.cap302 = true
			m.caps[capNotify] = true // implicitly, for good (capnotify.go)
		}
		var tokens []string
		m.shown = map[string]string{}
		for _, c := range m.listed() {
			tokens = append(tokens, m.capToken(c))
			m.shown[c.name] = c.value
		}
		m.capReply("LS", strings.Join(tokens, " "))
	case "LIST":
		var on []string
		for name := range m.caps {
			on = append(on, name)
		}
		slices.Sort(on)
		m.capReply("LIST", strings.Join(on, " "))
	case "REQ":
		if m.state != Registered {
			m.capNegotiating = true
		}
		if len(msg.Params) < 2 {
			m.reply(ERR_NEEDMOREPARAMS, "CAP", "Not enough parameters")
			return
		}
		m.capRequest(msg.Params[1])
	case "END":
		if m.state == Registered || !m.capNegotiating {
			return
		}
		m.capNegotiating = false
		m.tryRegister()
	default:
		m.reply(ERR_INVALIDCAPCMD, msg.Params[0], "Invalid CAP command")
	}
}

// capRequest applies a REQ all or nothing: every capability must be on
// offer (or, to be turned off, known), or none changes and the answer is NAK.
// Requesting tls changes nothing: STARTTLS works without it (IRCv3 tls).
func (m *Machine) capRequest(req string) {
	req = strings.TrimSpace(req)
	fields := strings.Fields(req)
	ok := len(fields) > 0
	for _, f := range fields {
		name, off := strings.CutPrefix(f, "-")
		known := name == capSASL || name == capTLS || name == capNotify || isChatCap(name)
		if off && !known || !off && !m.isListed(name) || !m.requestable(name, off) {
			ok = false
		}
	}
	if !ok {
		m.capReply("NAK", req)
		return
	}
	for _, f := range fields {
		if name, off := strings.CutPrefix(f, "-"); off {
			delete(m.caps, name)
		} else {
			m.caps[name] = true
		}
	}
	m.chatCapsChanged()
	m.capReply("ACK", req)
}

func (m *Machine) capReply(sub, text string) {
	m.send(format(m.cfg.ServerName, "CAP", []string{m.target(), sub, text}, true))
}
