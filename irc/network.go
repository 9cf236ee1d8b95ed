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
	ErrCannotSend      = errors.New("cannot send to channel (no external messages)")
	ErrTooManyChannels = errors.New("too many channels")
)

// Network is the one IRC network of the server: nicks and channels. It
// holds no socket: each member has an Outbox, and lines for other members
// are handed to theirs after the network's lock is released, so that a slow
// client never holds the network. A member's own replies are not routed
// here: its machine sends them, which keeps a connection's output in order.
type Network struct {
	mu    sync.Mutex
	now   func() time.Time
	nicks map[string]*Member // folded nick → member, registered or not
	chans map[string]*channel
}

// Member is one client on the network. Its fields are guarded by the
// network's lock; only the network reads them.
type Member struct {
	out        Outbox
	host       string
	nick, user string
	registered bool
	gone       bool
	chans      map[string]*channel
}

type channel struct {
	name    string    // as first joined
	members []*Member // in join order, for NAMES
	topic   string
	topicBy string
	topicAt time.Time
}

type delivery struct {
	out  Outbox
	line string
}

// NewNetwork returns an empty network; now stamps topics (nil: time.Now).
func NewNetwork(now func() time.Time) *Network {
	if now == nil {
		now = time.Now
	}
	return &Network{now: now, nicks: map[string]*Member{}, chans: map[string]*channel{}}
}

// Connect adds a client that has no nick yet.
func (n *Network) Connect(out Outbox, host string) *Member {
	return &Member{out: out, host: host, user: "*", chans: map[string]*channel{}}
}

func (m *Member) prefix() string { return m.nick + "!" + m.user + "@" + m.host }

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
			out = append(out, delivery{p.out, line})
		}
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

// Register makes m reachable: messages, channels.
func (n *Network) Register(m *Member, user string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m.user, m.registered = user, true
}

// JoinResult is what a joining client is told about the channel.
type JoinResult struct {
	Name    string // the channel's spelling
	Already bool   // m was on it: nothing happened
	Topic   string
	TopicBy string
	TopicAt time.Time
	Names   []string
}

// Join puts m on the channel, creating it when it does not exist; the
// other members see the JOIN.
func (n *Network) Join(m *Member, name string) (JoinResult, error) {
	n.mu.Lock()
	key := fold(name)
	ch := n.chans[key]
	if ch != nil && slices.Contains(ch.members, m) {
		res := ch.result()
		n.mu.Unlock()
		res.Already = true
		return res, nil
	}
	if len(m.chans) >= chanLimit {
		n.mu.Unlock()
		return JoinResult{}, ErrTooManyChannels
	}
	if ch == nil {
		ch = &channel{name: name}
		n.chans[key] = ch
	}
	line := format(m.prefix(), "JOIN", []string{ch.name}, false)
	var out []delivery
	for _, p := range ch.members {
		out = append(out, delivery{p.out, line})
	}
	ch.members = append(ch.members, m)
	m.chans[key] = ch
	res := ch.result()
	n.mu.Unlock()
	deliver(out)
	return res, nil
}

func (ch *channel) result() JoinResult {
	return JoinResult{Name: ch.name, Topic: ch.topic, TopicBy: ch.topicBy, TopicAt: ch.topicAt, Names: ch.names()}
}

func (ch *channel) names() []string {
	out := make([]string, len(ch.members))
	for i, p := range ch.members {
		out[i] = p.nick
	}
	return out
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
	if !slices.Contains(ch.members, m) {
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
		out = append(out, delivery{p.out, line})
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
// registered nick.
func (n *Network) Send(m *Member, command, target, text string) error {
	n.mu.Lock()
	line := format(m.prefix(), command, []string{target, text}, true)
	var out []delivery
	if isChannel(target) {
		ch := n.chans[fold(target)]
		switch {
		case ch == nil:
			n.mu.Unlock()
			return ErrNoSuchChannel
		case !slices.Contains(ch.members, m):
			n.mu.Unlock()
			return ErrCannotSend
		}
		for _, p := range ch.members {
			if p != m {
				out = append(out, delivery{p.out, line})
			}
		}
	} else {
		to := n.nicks[fold(target)]
		if to == nil || !to.registered {
			n.mu.Unlock()
			return ErrNoSuchNick
		}
		out = append(out, delivery{to.out, line})
	}
	n.mu.Unlock()
	deliver(out)
	return nil
}

// Names returns a channel's spelling and members.
func (n *Network) Names(name string) (string, []string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := n.chans[fold(name)]
	if ch == nil {
		return "", nil, false
	}
	return ch.name, ch.names(), true
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

// SetTopic changes a channel's topic; any member may (there are no
// channel operators). The other members see the TOPIC.
func (n *Network) SetTopic(m *Member, name, topic string) (string, error) {
	n.mu.Lock()
	ch := n.chans[fold(name)]
	if ch == nil {
		n.mu.Unlock()
		return "", ErrNoSuchChannel
	}
	if !slices.Contains(ch.members, m) {
		n.mu.Unlock()
		return ch.name, ErrNotOnChannel
	}
	ch.topic, ch.topicBy, ch.topicAt = topic, m.nick, n.now()
	line := format(m.prefix(), "TOPIC", []string{ch.name, topic}, true)
	var out []delivery
	for _, p := range ch.members {
		if p != m {
			out = append(out, delivery{p.out, line})
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
	var out []delivery
	if m.registered {
		line := format(m.prefix(), "QUIT", []string{reason}, true)
		for _, p := range n.peers(m) {
			out = append(out, delivery{p.out, line})
		}
	}
	for _, ch := range m.chans {
		n.leave(m, ch)
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
	delete(m.chans, key)
	if len(ch.members) == 0 {
		delete(n.chans, key)
	}
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
