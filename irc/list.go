package irc

import "strconv"

// onList answers LIST [#chan{,#chan}] (RFC 2812 §3.2.6): 321, a 322 per
// channel (all of them without a list: none is secret), 323. Search
// conditions (ELIST) are not offered; a first parameter that names no
// channel lists all of them.
func (m *Machine) onList(msg *Message) {
	var names []string
	for _, n := range splitList(msg.Param(0)) {
		if isChannel(n) {
			names = append(names, n)
		}
	}
	m.replyData(RPL_LISTSTART, "Channel", "Users  Name")
	for _, e := range m.cfg.Net.List(names) {
		m.reply(RPL_LIST, e.Name, strconv.Itoa(e.Users), e.Topic)
	}
	m.reply(RPL_LISTEND, "End of /LIST")
}
