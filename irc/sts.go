package irc

import "strconv"

// IRCv3 Strict Transport Security (https://ircv3.net/specs/extensions/sts):
// the sts capability tells a plaintext connection where to reconnect with
// TLS (the upgrade policy, port=) and a TLS connection how long to use
// nothing else for this host (the persistence policy, duration=). It is
// off unless [irc] sts_port or sts_duration is set. Clients may not
// request it (CAP REQ sts gets NAK) and it is never deleted.
const capSTS = "sts"

// stsValue is the sts capability's value now, "" when none is advertised.
// Under the lab's sts-stripped nothing is; under sts-bad-port the upgrade
// policy names the listener's port with the bad certificate.
func (m *Machine) stsValue() string {
	switch {
	case m.beh.STSStripped:
		return ""
	case m.tls == nil:
		port := m.cfg.STSPort
		if m.beh.STSBadPort {
			port = m.stsBadPort
		}
		if port == 0 {
			return ""
		}
		return "port=" + strconv.Itoa(port)
	case m.cfg.STSPersist || m.beh.STSBadPort:
		return "duration=" + strconv.Itoa(m.cfg.STSDuration)
	}
	return ""
}

// SetSTSBadPort sets the TLS port sts-bad-port points this connection at
// (the listener's own, whose certificate is bad).
func (m *Machine) SetSTSBadPort(port int) { m.stsBadPort = port }

// StartSecure begins a connection that is TLS from its first byte (the
// direct-TLS port, RFC 7194): the machine starts where a successful
// STARTTLS leaves it.
func (m *Machine) StartSecure(info *TLSInfo) { m.tls = info }
