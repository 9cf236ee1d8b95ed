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

// JoinResult is what a joining client is told about the channel.
type JoinResult struct {
	Name    string // the channel's spelling
	Already bool   // m was on it: nothing happened
	Topic   string
	TopicBy string
	TopicAt time.Time
	Names   []Name
}

// Join puts m on the channel with key (the channel's +k), creating it
// when it does not exist, with m as its operator; the other members see
// the JOIN (and, with away-notify, that m is away).
func (n *Network) Join(m *Member, name, key string) (JoinResult, error) {
	n.mu.Lock()
	chKey := fold(name)
	ch := n.chans[chKey]
	if ch != nil && ch.has(m) {
		res := ch.result()
		n.mu.Unlock()
		res.Already = true
		return res, nil
	}
	if len(m.chans) >= chanLimit {
		n.mu.Unlock()
		return JoinResult{}, ErrTooManyChannels
	}
	if ch != nil {
		if err := ch.joinRefusal(m, key); err != nil {
			n.mu.Unlock()
			return JoinResult{Name: ch.name}, err
		}
	} else {
		ch = newChannel(name, n.now())
		ch.status[m] = statusOp
		n.chans[chKey] = ch
	}
	delete(ch.invited, m)
	line := format(m.prefix(), "JOIN", []string{ch.name}, false)
	var out []delivery
	for _, p := range ch.members {
		out = append(out, n.to(p, line))
		if m.away != "" && p.awayNotify {
			out = append(out, n.to(p, awayLine(m)))
		}
	}
	ch.members = append(ch.members, m)
	m.chans[chKey] = ch
	res := ch.result()
	n.mu.Unlock()
	deliver(out)
	return res, nil
}

func (ch *channel) result() JoinResult {
	return JoinResult{Name: ch.name, Topic: ch.topic, TopicBy: ch.topicBy, TopicAt: ch.topicAt, Names: ch.names()}
}

// Part takes m off a channel; the others see the PART. It returns the
// channel's spelling.
func (n *Network) Part(m *Member, name, reason string) (string, error) {
	n.mu.Lock()
	ch := n.chans[fold(name)]
	if ch == nil {
		n.mu.Unlock()
		return "", ErrNoSuchChannel
	}
	if !ch.has(m) {
		n.mu.Unlock()
		return ch.name, ErrNotOnChannel
	}
	params := []string{ch.name}
	if reason != "" {
		params = append(params, reason)
	}
	line := format(m.prefix(), "PART", params, reason != "")
	n.leave(m, ch)
	var out []delivery
	for _, p := range ch.members {
		out = append(out, n.to(p, line))
	}
	n.mu.Unlock()
	deliver(out)
	return ch.name, nil
}

// Channels lists the channels m is on.
func (n *Network) Channels(m *Member) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(m.chans))
	for _, ch := range m.chans {
		out = append(out, ch.name)
	}
	slices.Sort(out)
	return out
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

// Names returns a channel's spelling and members; asker sees invisible
// members only on a channel it is on.
func (n *Network) Names(asker *Member, name string) (string, []Name, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := n.chans[fold(name)]
	if ch == nil {
		return "", nil, false
	}
	names := ch.names()
	if !ch.has(asker) {
		names = slices.DeleteFunc(names, func(x Name) bool { return x.Invisible })
	}
	return ch.name, names, true
}

// Topic returns a channel's topic.
func (n *Network) Topic(name string) (JoinResult, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := n.chans[fold(name)]
	if ch == nil {
		return JoinResult{}, ErrNoSuchChannel
	}
	return ch.result(), nil
}

// SetTopic changes a channel's topic: any member may, or only operators
// on a +t channel. The other members see the TOPIC.
func (n *Network) SetTopic(m *Member, name, topic string) (string, error) {
	n.mu.Lock()
	ch := n.chans[fold(name)]
	switch {
	case ch == nil:
		n.mu.Unlock()
		return "", ErrNoSuchChannel
	case !ch.has(m):
		n.mu.Unlock()
		return ch.name, ErrNotOnChannel
	case ch.flags.topicLock && !ch.isOp(m):
		n.mu.Unlock()
		return ch.name, ErrChanOpNeeded
	}
	ch.topic, ch.topicBy, ch.topicAt = topic, m.nick, n.now()
	line := format(m.prefix(), "TOPIC", []string{ch.name, topic}, true)
	var out []delivery
	for _, p := range ch.members {
		if p != m {
			out = append(out, n.to(p, line))
		}
	}
	n.mu.Unlock()
	deliver(out)
	return ch.name, nil
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
