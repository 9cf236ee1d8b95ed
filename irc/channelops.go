package irc

import (
	"errors"
	"strconv"
)

// Channel operators' commands: KICK and INVITE (RFC 2812 §3.2.7, §3.2.8;
// the Modern IRC document). The first client on a channel is its operator
// (Network.Join); MODE +o makes others.

// kickLen bounds a KICK comment (KICKLEN).
const kickLen = topicLen

// onKick removes members from a channel: KICK #chan nick[,nick] [:reason].
func (m *Machine) onKick(msg *Message) {
	name := msg.Params[0]
	reason := truncate(msg.Param(2), kickLen)
	if reason == "" {
		reason = m.nick
	}
	for i, nick := range splitList(msg.Params[1]) {
		if i >= targetLimit {
			m.reply(ERR_TOOMANYTARGETS, nick, "Too many targets: at most "+strconv.Itoa(targetLimit))
			continue
		}
		spelled, kicked, err := m.cfg.Net.Kick(m.member, name, nick, reason)
		if m.channelRefusal(err, name, spelled) {
			return
		}
		switch {
		case errors.Is(err, ErrNoSuchNick):
			m.reply(ERR_NOSUCHNICK, nick, "No such nick/channel")
		case errors.Is(err, ErrUserNotOnIt):
			m.reply(ERR_USERNOTINCHANNEL, nick, spelled, "They aren't on that channel")
		default:
			m.send(format(m.prefix(), "KICK", []string{spelled, kicked, reason}, true))
		}
	}
}

// Kick takes nick off a channel at an operator's request; every member,
// the kicked one too, sees the KICK. It returns the channel's and the
// nick's spelling.
func (n *Network) Kick(m *Member, name, nick, reason string) (string, string, error) {
	n.mu.Lock()
	ch := n.chans[fold(name)]
	switch {
	case ch == nil:
		n.mu.Unlock()
		return "", "", ErrNoSuchChannel
	case !ch.has(m):
		n.mu.Unlock()
		return ch.name, "", ErrNotOnChannel
	case !ch.isOp(m):
		n.mu.Unlock()
		return ch.name, "", ErrChanOpNeeded
	}
	p := n.nicks[fold(nick)]
	switch {
	case p == nil || !p.registered:
		n.mu.Unlock()
		return ch.name, "", ErrNoSuchNick
	case !ch.has(p):
		n.mu.Unlock()
		return ch.name, p.nick, ErrUserNotOnIt
	}
	line := format(m.prefix(), "KICK", []string{ch.name, p.nick, reason}, true)
	var out []delivery
	for _, q := range ch.members {
		if q != m {
			out = append(out, n.to(q, line))
		}
	}
	n.leave(p, ch)
	n.mu.Unlock()
	deliver(out)
	return ch.name, p.nick, nil
}

// onInvite invites a nick to a channel: INVITE nick #chan. The invitation
// lets it past +i once.
func (m *Machine) onInvite(msg *Message) {
	nick, name := msg.Params[0], msg.Params[1]
	spelledNick, spelled, away, err := m.cfg.Net.Invite(m.member, nick, name)
	switch {
	case errors.Is(err, ErrNoSuchNick):
		m.reply(ERR_NOSUCHNICK, nick, "No such nick/channel")
	case errors.Is(err, ErrNoSuchChannel):
		m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
	case errors.Is(err, ErrNotOnChannel):
		m.reply(ERR_NOTONCHANNEL, spelled, "You're not on that channel")
	case errors.Is(err, ErrChanOpNeeded):
		m.reply(ERR_CHANOPRIVSNEEDED, spelled, "You're not a channel operator")
	case errors.Is(err, ErrUserOnChannel):
		m.reply(ERR_USERONCHANNEL, spelledNick, spelled, "is already on channel")
	default:
		m.replyData(RPL_INVITING, spelledNick, spelled)
		if away != "" {
			m.reply(RPL_AWAY, spelledNick, away)
		}
	}
}

// Invite records an invitation from m (a member; an operator on a +i
// channel) and sends the invitee an INVITE line. It returns the nick's
// and the channel's spelling and the invitee's away message.
func (n *Network) Invite(m *Member, nick, name string) (string, string, string, error) {
	n.mu.Lock()
	p := n.nicks[fold(nick)]
	if p == nil || !p.registered {
		n.mu.Unlock()
		return "", "", "", ErrNoSuchNick
	}
	ch := n.chans[fold(name)]
	switch {
	case ch == nil:
		n.mu.Unlock()
		return p.nick, "", "", ErrNoSuchChannel
	case !ch.has(m):
		n.mu.Unlock()
		return p.nick, ch.name, "", ErrNotOnChannel
	case ch.flags.inviteOnly && !ch.isOp(m):
		n.mu.Unlock()
		return p.nick, ch.name, "", ErrChanOpNeeded
	case ch.has(p):
		n.mu.Unlock()
		return p.nick, ch.name, "", ErrUserOnChannel
	}
	ch.invited[p] = true
	out := []delivery{n.to(p, format(m.prefix(), "INVITE", []string{p.nick, ch.name}, false))}
	away := p.away
	n.mu.Unlock()
	deliver(out)
	return p.nick, ch.name, away, nil
}

// channelRefusal answers the refusals every channel operation shares (no
// such channel, not on it, not an operator) and reports whether err was
// one of them.
func (m *Machine) channelRefusal(err error, name, spelled string) bool {
	switch {
	case errors.Is(err, ErrNoSuchChannel):
		m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
	case errors.Is(err, ErrNotOnChannel):
		m.reply(ERR_NOTONCHANNEL, spelled, "You're not on that channel")
	case errors.Is(err, ErrChanOpNeeded):
		m.reply(ERR_CHANOPRIVSNEEDED, spelled, "You're not a channel operator")
	default:
		return false
	}
	return true
}
