package irc

import (
	"slices"
	"time"
)

// The network's channels: joining and leaving, names and topics.

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
