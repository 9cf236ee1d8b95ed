package irc

import (
	"errors"
	"slices"
	"sync"
	"time"
)

// Outbox takes lines the network routes to a client from other clients.
// Deliver must not block for long: it is called by the sender's goroutine.
type Outbox interface{ Deliver(line string) }

// What the network refuses. The machine turns each into its numeric.
var (
	ErrNickInUse       = errors.New("nickname is already in use")
	ErrNoSuchNick      = errors.New("no such nick")
	ErrNoSuchChannel   = errors.New("no such channel")
	ErrNotOnChannel    = errors.New("not on that channel")
	ErrCannotSend      = errors.New("cannot send to channel")
	ErrTooManyChannels = errors.New("too many channels")
	ErrBadChannelKey   = errors.New("cannot join channel (+k)")
	ErrChannelIsFull   = errors.New("cannot join channel (+l)")
	ErrInviteOnly      = errors.New("cannot join channel (+i)")
	ErrBanned          = errors.New("cannot join channel (+b)")
	ErrChanOpNeeded    = errors.New("not a channel operator")
	ErrUserNotOnIt     = errors.New("they aren't on that channel")
	ErrUserOnChannel   = errors.New("is already on channel")
	ErrBanListFull     = errors.New("channel ban list is full")
	ErrInvalidParam    = errors.New("invalid mode parameter")
)

// Network is the one IRC network of the server: nicks and channels. It
// holds no socket: each member has an Outbox, and lines for other members
// are handed to theirs after the network's lock is released, so that a slow
// client never holds the network. A member's own replies are not routed
// here: its machine sends them, which keeps a connection's output in order.
type Network struct {
	mu       sync.Mutex
	now      func() time.Time
	nicks    map[string]*Member // folded nick → member, registered or not
	chans    map[string]*channel
	conns    map[*Member]bool // every connected member (LUSERS)
	maxUsers int              // most registered members at once
	history  []WhoWas         // WHOWAS, oldest first, at most historyLen
}

// historyLen bounds WHOWAS.
const historyLen = 200

// Member is one client on the network. Its fields are guarded by the
// network's lock; only the network reads them.
type Member struct {
	out        Outbox
	host       string
	nick, user string
	realname   string
	account    string // SASL account, "" when not logged in
	secure     bool   // TLS
	invisible  bool   // user mode +i
	away       string // away message, "" when here
	registered bool
	gone       bool
	signon     time.Time
	active     time.Time // last PRIVMSG or NOTICE (WHOIS idle time)
	chans      map[string]*channel

	// Capabilities that change what the network delivers to it.
	awayNotify bool // away-notify: AWAY lines from peers
	serverTime bool // server-time: a time tag on delivered lines
}

type delivery struct {
	out  Outbox
	line string
}

// NewNetwork returns an empty network; now stamps topics, channel
// creation, sign-on and idle times, and server-time tags (nil: time.Now).
func NewNetwork(now func() time.Time) *Network {
	if now == nil {
		now = time.Now
	}
	return &Network{now: now, nicks: map[string]*Member{}, chans: map[string]*channel{}, conns: map[*Member]bool{}}
}

// Connect adds a client that has no nick yet.
func (n *Network) Connect(out Outbox, host string) *Member {
	m := &Member{out: out, host: host, user: "*", chans: map[string]*channel{}}
	n.mu.Lock()
	n.conns[m] = true
	n.mu.Unlock()
	return m
}

func (m *Member) prefix() string { return m.nick + "!" + m.user + "@" + m.host }

// to addresses line to p: with the time it is sent when p asked for
// server-time.
func (n *Network) to(p *Member, line string) delivery {
	if p.serverTime {
		line = "@time=" + n.now().UTC().Format("2006-01-02T15:04:05.000Z") + " " + line
	}
	return delivery{p.out, line}
}

// SetNick claims nick for m (a client holds its nick from NICK on, before
// registration too). A registered member's channel peers see the change.
func (n *Network) SetNick(m *Member, nick string) error {
	n.mu.Lock()
	key := fold(nick)
	if other, ok := n.nicks[key]; ok && other != m {
		n.mu.Unlock()
		return ErrNickInUse
	}
	var out []delivery
	if m.registered {
		line := format(m.prefix(), "NICK", []string{nick}, false)
		for _, p := range n.peers(m) {
			out = append(out, n.to(p, line))
		}
		n.remember(m)
	}
	if m.nick != "" {
		delete(n.nicks, fold(m.nick))
	}
	m.nick = nick
	n.nicks[key] = m
	n.mu.Unlock()
	deliver(out)
	return nil
}

// Send routes a PRIVMSG or NOTICE to a channel's other members or to a
// registered nick. It returns a nick's away message (301 for PRIVMSG).
func (n *Network) Send(m *Member, command, target, text string) (away string, err error) {
	n.mu.Lock()
	line := format(m.prefix(), command, []string{target, text}, true)
	var out []delivery
	if isChannel(target) {
		ch := n.chans[fold(target)]
		if ch == nil {
			n.mu.Unlock()
			return "", ErrNoSuchChannel
		}
		if err := ch.sendRefusal(m); err != nil {
			n.mu.Unlock()
			return "", err
		}
		for _, p := range ch.members {
			if p != m {
				out = append(out, n.to(p, line))
			}
		}
	} else {
		to := n.nicks[fold(target)]
		if to == nil || !to.registered {
			n.mu.Unlock()
			return "", ErrNoSuchNick
		}
		out = append(out, n.to(to, line))
		away = to.away
	}
	m.active = n.now()
	n.mu.Unlock()
	deliver(out)
	return away, nil
}

// Quit removes m from the network: its nick is free again and its channel
// peers see the QUIT. Calling it again does nothing.
func (n *Network) Quit(m *Member, reason string) {
	n.mu.Lock()
	if m.gone {
		n.mu.Unlock()
		return
	}
	m.gone = true
	delete(n.conns, m)
	var out []delivery
	if m.registered {
		line := format(m.prefix(), "QUIT", []string{reason}, true)
		for _, p := range n.peers(m) {
			out = append(out, n.to(p, line))
		}
		n.remember(m)
	}
	for _, ch := range m.chans {
		n.leave(m, ch)
	}
	for _, ch := range n.chans {
		delete(ch.invited, m)
	}
	if m.nick != "" && n.nicks[fold(m.nick)] == m {
		delete(n.nicks, fold(m.nick))
	}
	n.mu.Unlock()
	deliver(out)
}

// peers are the members sharing a channel with m, each once, m excluded.
func (n *Network) peers(m *Member) []*Member {
	seen := map[*Member]bool{m: true}
	var out []*Member
	for _, key := range sortedKeys(m.chans) {
		for _, p := range m.chans[key].members {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// leave takes m off ch and drops a channel left empty.
func (n *Network) leave(m *Member, ch *channel) {
	key := fold(ch.name)
	ch.members = slices.DeleteFunc(ch.members, func(p *Member) bool { return p == m })
	delete(ch.status, m)
	delete(m.chans, key)
	if len(ch.members) == 0 {
		delete(n.chans, key)
	}
}

// users counts the registered members.
func (n *Network) users() int {
	c := 0
	for m := range n.conns {
		if m.registered {
			c++
		}
	}
	return c
}

func sortedKeys(m map[string]*channel) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func deliver(out []delivery) {
	for _, d := range out {
		d.out.Deliver(d.line)
	}
}
