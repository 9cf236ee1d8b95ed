package irc

import "strings"

// Presence: AWAY (with IRCv3 away-notify), ISON and USERHOST (RFC 2812
// §4.1, §4.8, §4.9; the Modern IRC document).

// awayLen bounds an away message (AWAYLEN).
const awayLen = topicLen

// userhostLimit is how many nicks one USERHOST answers.
const userhostLimit = 5

// onAway marks the client away with a message (306), or back without one
// (305; "AWAY :" too). Peers with away-notify see AWAY.
func (m *Machine) onAway(msg *Message) {
	text := truncate(msg.Param(0), awayLen)
	m.cfg.Net.SetAway(m.member, text)
	if text == "" {
		m.reply(RPL_UNAWAY, "You are no longer marked as being away")
		return
	}
	m.reply(RPL_NOWAWAY, "You have been marked as being away")
}

// onIson answers which of the nicks are on the network (303), as they
// are spelled there.
func (m *Machine) onIson(msg *Message) {
	var on []string
	for _, u := range m.cfg.Net.Users(nickList(msg.Params)) {
		on = append(on, u.Nick)
	}
	m.reply(RPL_ISON, strings.Join(on, " "))
}

// onUserhost answers nick=+user@host for up to five nicks (302); - for
// one that is away. There are no IRC operators (no *).
func (m *Machine) onUserhost(msg *Message) {
	nicks := nickList(msg.Params)
	if len(nicks) > userhostLimit {
		nicks = nicks[:userhostLimit]
	}
	var replies []string
	for _, u := range m.cfg.Net.Users(nicks) {
		here := "+"
		if u.Away != "" {
			here = "-"
		}
		replies = append(replies, u.Nick+"="+here+u.User+"@"+u.Host)
	}
	m.reply(RPL_USERHOST, strings.Join(replies, " "))
}

// nickList reads the nicks of ISON and USERHOST: parameters, as the RFCs
// have them, or space- or comma-separated in one (python3-irc sends
// USERHOST a,b).
func nickList(params []string) []string {
	var nicks []string
	for _, p := range params {
		nicks = append(nicks, strings.FieldsFunc(p, func(r rune) bool { return r == ' ' || r == ',' })...)
	}
	return nicks
}
