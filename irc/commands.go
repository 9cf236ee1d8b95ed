package irc

// command is one entry of the command table: its handler and the checks the
// dispatcher makes before calling it, so that no handler repeats them.
type command struct {
	handle func(*Machine, *Message)
	// preReg: usable before registration (otherwise 451).
	preReg bool
	// minParams: fewer parameters get 461. Commands whose shortage has
	// its own numeric (NICK and WHOIS 431, PRIVMSG 411/412, PING 409) or
	// must never be answered (NOTICE) check it themselves.
	minParams int
}

// commands is every command the server knows; anything else gets 421.
var commands = map[string]command{
	"CAP":          {handle: (*Machine).onCap, preReg: true, minParams: 1},
	"STARTTLS":     {handle: (*Machine).onStartTLS, preReg: true},
	"AUTHENTICATE": {handle: (*Machine).onAuthenticate, preReg: true, minParams: 1},
	"PASS":         {handle: (*Machine).onPass, preReg: true, minParams: 1},
	"NICK":         {handle: (*Machine).onNick, preReg: true},
	"USER":         {handle: (*Machine).onUser, preReg: true, minParams: 4},
	"PING":         {handle: (*Machine).onPing, preReg: true},
	"PONG":         {handle: (*Machine).onPong, preReg: true},
	"QUIT":         {handle: (*Machine).onQuit, preReg: true},
	"JOIN":         {handle: (*Machine).onJoin, minParams: 1},
	"PART":         {handle: (*Machine).onPart, minParams: 1},
	"PRIVMSG":      {handle: (*Machine).onPrivmsg},
	"NOTICE":       {handle: (*Machine).onNotice},
	"NAMES":        {handle: (*Machine).onNames},
	"TOPIC":        {handle: (*Machine).onTopic, minParams: 1},
	"MODE":         {handle: (*Machine).onMode, minParams: 1},
	"WHO":          {handle: (*Machine).onWho},
	"WHOIS":        {handle: (*Machine).onWhois},
	"WHOWAS":       {handle: (*Machine).onWhowas, minParams: 1},
	"LIST":         {handle: (*Machine).onList},
	"AWAY":         {handle: (*Machine).onAway},
	"ISON":         {handle: (*Machine).onIson, minParams: 1},
	"USERHOST":     {handle: (*Machine).onUserhost, minParams: 1},
	"LUSERS":       {handle: (*Machine).onLusers},
	"MOTD":         {handle: (*Machine).onMotd},
	"KICK":         {handle: (*Machine).onKick, minParams: 2},
	"INVITE":       {handle: (*Machine).onInvite, minParams: 2},
}

// onPing answers with the client's token. Clients may ping before
// registration, to measure or keep the connection alive.
func (m *Machine) onPing(msg *Message) {
	if len(msg.Params) == 0 || msg.Params[0] == "" {
		m.reply(ERR_NOORIGIN, "No origin specified")
		return
	}
	m.send(format(m.cfg.ServerName, "PONG", []string{m.cfg.ServerName, msg.Params[0]}, true))
}

// onPong needs no answer: any line from the client already reset its idle
// timer in the connection.
func (m *Machine) onPong(*Message) {}

// onQuit ends the connection; the peers see "Quit: reason".
func (m *Machine) onQuit(msg *Message) {
	reason := "Client Quit"
	if r := msg.Param(0); r != "" {
		reason = "Quit: " + truncate(r, topicLen)
	}
	m.quit(reason)
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
