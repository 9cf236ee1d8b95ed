package irc

import (
	"strconv"
	"strings"
)

// WHO (with WHOX), WHOIS and WHOWAS: what clients ask about other users
// (RFC 2812 §3.6; the Modern IRC document; IRCv3 WHOX).

// whoxOrder is the order WHOX fields are always answered in, whatever
// order they were asked in.
const whoxOrder = "tcuihsnfdlaor"

// onWho answers WHO mask [o][%fields[,token]]: 352 per user (354 with the
// requested fields for WHOX), then 315. There are no IRC operators, so
// the o filter matches nobody.
func (m *Machine) onWho(msg *Message) {
	mask := msg.Param(0)
	if mask == "" {
		mask = "*"
	}
	filter, fields, whox := strings.Cut(msg.Param(1), "%")
	token := "0"
	if f, t, ok := strings.Cut(fields, ","); ok {
		fields = f
		if len(t) >= 1 && len(t) <= 3 && strings.Trim(t, "0123456789") == "" {
			token = t
		}
	}
	spelled, entries := m.cfg.Net.Who(m.member, mask)
	if !validParam(spelled) {
		spelled = "*"
	}
	if !strings.Contains(filter, "o") {
		for _, e := range entries {
			if whox {
				m.whoxReply(e, fields, token)
			} else {
				m.whoReply(e)
			}
		}
	}
	m.reply(RPL_ENDOFWHO, spelled, "End of WHO list")
}

// whoFlags are H (here) or G (gone, away), then the channel prefixes.
func (m *Machine) whoFlags(e WhoEntry) string {
	f := "H"
	if e.Away != "" {
		f = "G"
	}
	return f + e.Status.prefixes(m.caps[capMultiPrefix])
}

func whoChannel(e WhoEntry) string {
	if e.Channel == "" {
		return "*"
	}
	return e.Channel
}

func (m *Machine) whoReply(e WhoEntry) {
	m.reply(RPL_WHOREPLY, whoChannel(e), e.User, e.Host, m.cfg.ServerName, e.Nick, m.whoFlags(e), "0 "+e.Realname)
}

// whoxReply sends the fields asked for, in whoxOrder; the realname is the
// trailing parameter when asked for.
func (m *Machine) whoxReply(e WhoEntry, fields, token string) {
	var params []string
	realname := false
	for _, f := range whoxOrder {
		if !strings.ContainsRune(fields, f) {
			continue
		}
		switch f {
		case 't':
			params = append(params, token)
		case 'c':
			params = append(params, whoChannel(e))
		case 'u':
			params = append(params, e.User)
		case 'i', 'h':
			params = append(params, e.Host) // no cloaking: the host is the address
		case 's':
			params = append(params, m.cfg.ServerName)
		case 'n':
			params = append(params, e.Nick)
		case 'f':
			params = append(params, m.whoFlags(e))
		case 'd':
			params = append(params, "0")
		case 'l':
			params = append(params, strconv.FormatInt(int64(e.Idle.Seconds()), 10))
		case 'a':
			params = append(params, cmp(e.Account, "0"))
		case 'o':
			params = append(params, "n/a")
		case 'r':
			params = append(params, e.Realname)
			realname = true
		}
	}
	if realname {
		m.reply(RPL_WHOSPCRPL, params...)
	} else {
		m.replyData(RPL_WHOSPCRPL, params...)
	}
}

// cmp is s, or or when s is empty.
func cmp(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// onWhois answers WHOIS [server] nick (the first of a comma list): 311,
// 319, 312, 301, 671, 330, 317 for a user, 401 for none, then 318.
func (m *Machine) onWhois(msg *Message) {
	nick := ""
	if len(msg.Params) == 0 {
		m.reply(ERR_NONICKNAMEGIVEN, "No nickname given")
		return
	}
	if list := splitList(msg.Params[len(msg.Params)-1]); len(list) > 0 {
		nick = list[0]
	}
	if nick == "" {
		m.reply(ERR_NONICKNAMEGIVEN, "No nickname given")
		return
	}
	if !validParam(nick) {
		nick = "*"
	}
	u, ok := m.cfg.Net.Lookup(m.member, nick)
	if !ok {
		m.reply(ERR_NOSUCHNICK, nick, "No such nick/channel")
		m.reply(RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
		return
	}
	m.reply(RPL_WHOISUSER, u.Nick, u.User, u.Host, "*", u.Realname)
	chans := make([]string, len(u.Channels))
	for i, c := range u.Channels {
		chans[i] = u.Status[i].prefixes(m.caps[capMultiPrefix]) + c
	}
	m.replyList(RPL_WHOISCHANNELS, []string{u.Nick}, chans)
	m.reply(RPL_WHOISSERVER, u.Nick, m.cfg.ServerName, m.cfg.Network+" IRC network")
	if u.Away != "" {
		m.reply(RPL_AWAY, u.Nick, u.Away)
	}
	if u.Secure {
		m.reply(RPL_WHOISSECURE, u.Nick, "is using a secure connection")
	}
	if u.Account != "" {
		m.reply(RPL_WHOISACCOUNT, u.Nick, u.Account, "is logged in as")
	}
	m.reply(RPL_WHOISIDLE, u.Nick, strconv.FormatInt(int64(u.Idle.Seconds()), 10),
		strconv.FormatInt(u.Signon.Unix(), 10), "seconds idle, signon time")
	m.reply(RPL_ENDOFWHOIS, u.Nick, "End of /WHOIS list")
}

// onWhowas answers WHOWAS nick [count]: 314 and 312 per remembered use of
// the nick (newest first), 406 when there is none, then 369.
func (m *Machine) onWhowas(msg *Message) {
	nick := msg.Params[0]
	if list := splitList(nick); len(list) > 0 {
		nick = list[0]
	}
	if !validParam(nick) {
		m.reply(ERR_NONICKNAMEGIVEN, "No nickname given")
		return
	}
	count, _ := strconv.Atoi(msg.Param(1))
	was := m.cfg.Net.WhoWasList(nick, max(count, 0))
	if len(was) == 0 {
		m.reply(ERR_WASNOSUCHNICK, nick, "There was no such nickname")
	}
	for _, w := range was {
		m.reply(RPL_WHOWASUSER, w.Nick, w.User, w.Host, "*", w.Realname)
		m.reply(RPL_WHOISSERVER, w.Nick, m.cfg.ServerName, w.At.UTC().Format("Mon Jan 2 15:04:05 2006"))
	}
	m.reply(RPL_ENDOFWHOWAS, nick, "End of WHOWAS")
}

// replyList sends a numeric whose last parameter is a list of words,
// in as many lines as keep each within 512 bytes; nothing for no words.
func (m *Machine) replyList(code Numeric, params, words []string) {
	head := len(":"+m.cfg.ServerName+" "+string(code)+" "+m.target()+" :") + len(strings.Join(params, " ")) + 1
	var line []string
	size := head
	flush := func() {
		m.reply(code, append(append([]string(nil), params...), strings.Join(line, " "))...)
		line, size = nil, head
	}
	for _, w := range words {
		if len(line) > 0 && size+1+len(w) > MaxMessageBytes-2 {
			flush()
		}
		line = append(line, w)
		size += len(w) + 1
	}
	if len(line) > 0 {
		flush()
	}
}
