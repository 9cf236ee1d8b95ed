package irc

// What the network keeps of a member beside its nick: registration, account,
// modes, capabilities, away.

// Registration is what a client said about itself before its welcome.
type Registration struct {
	User, Realname string
	Account        string // SASL account, "" for none
	Secure         bool   // the connection is TLS
}

// Register makes m reachable: messages, channels.
func (n *Network) Register(m *Member, r Registration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m.user, m.realname, m.account, m.secure = r.User, r.Realname, r.Account, r.Secure
	m.registered = true
	m.signon = n.now()
	m.active = m.signon
	if u := n.users(); u > n.maxUsers {
		n.maxUsers = u
	}
}

// SetAccount records a login that came after registration (WHOIS, WHOX).
func (n *Network) SetAccount(m *Member, account string) {
	n.mu.Lock()
	m.account = account
	n.mu.Unlock()
}

// SetInvisible sets user mode +i: an invisible member is left out of WHO
// and NAMES answers to clients that share no channel with it.
func (n *Network) SetInvisible(m *Member, on bool) {
	n.mu.Lock()
	m.invisible = on
	n.mu.Unlock()
}

// SetCaps records the capabilities that change what m is delivered.
func (n *Network) SetCaps(m *Member, awayNotify, serverTime bool) {
	n.mu.Lock()
	m.awayNotify, m.serverTime = awayNotify, serverTime
	n.mu.Unlock()
}

// SetAway marks m away with a message ("" marks it back); peers that
// asked for away-notify see an AWAY line when that changes.
func (n *Network) SetAway(m *Member, message string) {
	n.mu.Lock()
	was := m.away
	m.away = message
	var out []delivery
	if m.registered && was != message {
		line := awayLine(m)
		for _, p := range n.peers(m) {
			if p.awayNotify {
				out = append(out, n.to(p, line))
			}
		}
	}
	n.mu.Unlock()
	deliver(out)
}

func awayLine(m *Member) string {
	if m.away == "" {
		return format(m.prefix(), "AWAY", nil, false)
	}
	return format(m.prefix(), "AWAY", []string{m.away}, true)
}
