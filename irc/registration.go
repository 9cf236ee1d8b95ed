package irc

import (
	"strconv"
	"strings"

	"jabberd/tlspolicy"
)

// onNick sets the nick before registration and changes it after; the nick
// is held on the network from here on, so that two clients registering at
// once cannot both get it.
func (m *Machine) onNick(msg *Message) {
	nick := msg.Param(0)
	switch {
	case nick == "":
		m.reply(ERR_NONICKNAMEGIVEN, "No nickname given")
		return
	case !validNick(nick):
		m.reply(ERR_ERRONEUSNICKNAME, nick, "Erroneous nickname")
		return
	case nick == m.nick:
		return
	}
	old := m.prefix()
	if err := m.cfg.Net.SetNick(m.member, nick); err != nil {
		m.reply(ERR_NICKNAMEINUSE, nick, "Nickname is already in use")
		return
	}
	m.nick = nick
	if m.state == Registered {
		m.send(format(old, "NICK", []string{nick}, false))
		m.do(Action{Kind: NickChanged, Nick: nick})
		return
	}
	m.tryRegister()
}

// onUser takes the user name and the realname; mode and unused are not
// kept.
func (m *Machine) onUser(msg *Message) {
	if m.state == Registered || m.user != "" {
		m.reply(ERR_ALREADYREGISTERED, "You may not reregister")
		return
	}
	if msg.Params[0] == "" {
		m.reply(ERR_NEEDMOREPARAMS, "USER", "Not enough parameters")
		return
	}
	m.user = cleanUser(msg.Params[0])
	m.realname = truncate(msg.Params[3], realnameLen)
	m.tryRegister()
}

// onPass accepts a server password and ignores it: this network has none,
// and accounts log in with SASL. The welcome says so.
func (m *Machine) onPass(*Message) {
	if m.state == Registered {
		m.reply(ERR_ALREADYREGISTERED, "You may not reregister")
		return
	}
	m.pass = true
}

// tryRegister completes registration once NICK and USER are in and CAP
// negotiation, if the client started one, has ended.
func (m *Machine) tryRegister() {
	if m.state != Unregistered || m.nick == "" || m.user == "" || m.capNegotiating {
		return
	}
	if m.cfg.TLS == tlspolicy.Required && m.tls == nil {
		m.quit("TLS is required on this port: send STARTTLS before registering")
		return
	}
	if m.auth != nil {
		m.abortSASL()
	}
	m.cfg.Net.Register(m.member, Registration{User: m.user, Realname: m.realname, Account: m.account, Secure: m.tls != nil})
	m.netAccount = m.account
	m.state = Registered
	m.do(Action{Kind: Welcomed, Nick: m.nick, User: m.user, Account: m.account})
	m.welcome()
}

// welcome sends 001–005, 422 and notices that say how the client is
// connected: TLS, its certificate, its login.
func (m *Machine) welcome() {
	c := m.cfg
	m.reply(RPL_WELCOME, "Welcome to the "+c.Network+" IRC network, "+m.prefix())
	m.reply(RPL_YOURHOST, "Your host is "+c.ServerName+", running version "+c.Version)
	m.reply(RPL_CREATED, "This server was created "+c.Created)
	m.replyData(RPL_MYINFO, c.ServerName, c.Version, "i", "biklmnotv", "bklov")
	// At most 13 tokens a line, as the Modern IRC document advises.
	for tokens := isupport(c); len(tokens) > 0; {
		n := min(len(tokens), 13)
		m.reply(RPL_ISUPPORT, append(tokens[:n:n], "are supported by this server")...)
		tokens = tokens[n:]
	}
	m.reply(ERR_NOMOTD, "MOTD File is missing")
	for _, n := range m.connectionNotes() {
		m.notice("*** " + n)
	}
}

// isupport are the 005 tokens: what a client may rely on.
func isupport(c *Config) []string {
	targets := strconv.Itoa(targetLimit)
	return []string{
		"AWAYLEN=" + strconv.Itoa(awayLen),
		"CASEMAPPING=ascii",
		"CHANLIMIT=#:" + strconv.Itoa(chanLimit),
		"CHANMODES=b,k,l,imnt",
		"CHANNELLEN=" + strconv.Itoa(channelLen),
		"CHANTYPES=#",
		"KICKLEN=" + strconv.Itoa(kickLen),
		"MAXLIST=b:" + strconv.Itoa(maxBans),
		"MODES=" + strconv.Itoa(modesPerLine),
		"NETWORK=" + c.Network,
		"NICKLEN=" + strconv.Itoa(nickLen),
		"PREFIX=(ov)@+",
		"TARGMAX=JOIN:,KICK:" + targets + ",NAMES:1,NOTICE:" + targets + ",PART:,PRIVMSG:" + targets + ",WHOIS:1",
		"TOPICLEN=" + strconv.Itoa(topicLen),
		"WHOX",
	}
}

// connectionNotes say what a tester wants to know after connecting: whether
// the connection is encrypted, what became of the client certificate, and
// how to log in with it.
func (m *Machine) connectionNotes() []string {
	var notes []string
	t := m.tls
	switch {
	case t == nil:
		notes = append(notes, "Your connection is not encrypted")
	default:
		notes = append(notes, "Your connection is encrypted: "+t.Version+", "+t.Cipher)
	}
	switch {
	case t == nil || t.ClientCert == "":
	case !t.ClientVerified:
		notes = append(notes, "Your client certificate ("+t.ClientCert+") did not verify: "+t.ClientError)
	case len(t.Accounts) == 0:
		notes = append(notes, "Your client certificate ("+t.ClientCert+") verified but maps to no account: "+t.ClientError)
	case m.account == "":
		notes = append(notes, "Your client certificate ("+t.ClientCert+") verified; it maps to "+strings.Join(t.Accounts, ", ")+": log in with SASL EXTERNAL")
	default:
		notes = append(notes, "Your client certificate ("+t.ClientCert+") verified")
	}
	if m.account != "" {
		notes = append(notes, "You are logged in as "+m.account)
	}
	if m.pass {
		notes = append(notes, "PASS was ignored: this network has no server password (log in with SASL)")
	}
	return notes
}
