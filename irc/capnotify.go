package irc

import (
	"maps"
	"slices"
	"strings"
)

// cap-notify (IRCv3 capability negotiation): a client that enabled it, or
// sent CAP LS 302 (which enables it implicitly, for good), is told with
// CAP NEW and CAP DEL when what is on offer changes. Here TLS changes it:
// after STARTTLS tls is gone and the sasl mechanisms are the ones usable
// now; after registration in plaintext tls (and sasl, unless a mechanism
// may still be used) is gone.
const capNotify = "cap-notify"

// capToken is a capability as CAP LS and CAP NEW write it: with its value
// to 302 clients.
func (m *Machine) capToken(c capability) string {
	if m.cap302 && c.value != "" {
		return c.name + "=" + c.value
	}
	return c.name
}

// requestable: sts is never requested (IRCv3 sts: "Clients MUST NOT
// request this capability"); cap-notify cannot be turned off by a 302
// client ("servers MUST NOT disable" it then).
func (m *Machine) requestable(name string, off bool) bool {
	switch name {
	case capSTS:
		return false
	case capNotify:
		return !off || !m.cap302
	}
	return true
}

// notifyCaps compares what is on offer with what the client was last told
// and says what changed: CAP DEL for what is gone (and turns it off: "Servers
// MUST cancel any capability-specific behavior"), CAP NEW for what is new,
// and to 302 clients for a value that changed (the sasl mechanisms, sts
// from port= to duration=). sts is never deleted (IRCv3 sts: servers MUST
// NOT send CAP DEL for it). Nothing is said during the handshake, and
// nothing before the client's first CAP LS.
func (m *Machine) notifyCaps() {
	if !m.caps[capNotify] || m.shown == nil || m.state == Closed || m.state == Upgrading {
		return
	}
	now := m.listed()
	var gone, added []string
	for _, name := range slices.Sorted(maps.Keys(m.shown)) {
		if name != capSTS && !slices.ContainsFunc(now, func(c capability) bool { return c.name == name }) {
			gone = append(gone, name)
			delete(m.shown, name)
			delete(m.caps, name)
		}
	}
	for _, c := range now {
		v, seen := m.shown[c.name]
		if !seen || m.cap302 && v != c.value {
			added = append(added, m.capToken(c))
		}
		m.shown[c.name] = c.value
	}
	if len(gone) > 0 {
		m.capReply("DEL", strings.Join(gone, " "))
	}
	if len(added) > 0 {
		m.capReply("NEW", strings.Join(added, " "))
	}
}
