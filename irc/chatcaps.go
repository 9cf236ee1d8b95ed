package irc

// The IRCv3 capabilities of chat, offered to every client (cap.go lists
// them and applies REQ): away-notify (peers' AWAY lines), multi-prefix
// (every prefix of a member in NAMES, WHO and WHOIS) and server-time (a
// time tag on lines from other clients).
const (
	capAwayNotify  = "away-notify"
	capMultiPrefix = "multi-prefix"
	capServerTime  = "server-time"
)

// chatCaps are the chat capabilities, in CAP LS order.
var chatCaps = []capability{{capAwayNotify, ""}, {capMultiPrefix, ""}, {capServerTime, ""}}

func isChatCap(name string) bool {
	return name == capAwayNotify || name == capMultiPrefix || name == capServerTime
}

// chatCapsChanged tells the network what changes what it delivers to this
// client, after a CAP REQ.
func (m *Machine) chatCapsChanged() {
	m.cfg.Net.SetCaps(m.member, m.caps[capAwayNotify], m.caps[capServerTime])
}
