package irc

import "strconv"

// Server queries: LUSERS and MOTD (RFC 2812 §3.4.1, §3.4.2; the Modern IRC
// document). The network is one server.

// onLusers answers 251, 253 and 254 (when not zero), 255, 265 and 266.
func (m *Machine) onLusers(*Message) {
	c := m.cfg.Net.Lusers()
	total := c.Users + c.Invisible
	m.reply(RPL_LUSERCLIENT, "There are "+strconv.Itoa(c.Users)+" users and "+strconv.Itoa(c.Invisible)+" invisible on 1 servers")
	if c.Unregistered > 0 {
		m.reply(RPL_LUSERUNKNOWN, strconv.Itoa(c.Unregistered), "unknown connection(s)")
	}
	if c.Channels > 0 {
		m.reply(RPL_LUSERCHANNELS, strconv.Itoa(c.Channels), "channels formed")
	}
	m.reply(RPL_LUSERME, "I have "+strconv.Itoa(total)+" clients and 0 servers")
	t, mx := strconv.Itoa(total), strconv.Itoa(c.MaxUsers)
	m.reply(RPL_LOCALUSERS, t, mx, "Current local users "+t+", max "+mx)
	m.reply(RPL_GLOBALUSERS, t, mx, "Current global users "+t+", max "+mx)
}

// onMotd: there is no message of the day (422, as in the welcome).
func (m *Machine) onMotd(*Message) {
	m.reply(ERR_NOMOTD, "MOTD File is missing")
}
