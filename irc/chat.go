package irc

import (
	"errors"
	"strconv"
	"strings"
)

// onJoin joins each channel of a comma list, with the keys of a second
// comma list in the same order; "JOIN 0" leaves them all.
func (m *Machine) onJoin(msg *Message) {
	if msg.Params[0] == "0" {
		for _, ch := range m.cfg.Net.Channels(m.member) {
			m.part(ch, "Left all channels")
		}
		return
	}
	keys := strings.Split(msg.Param(1), ",")
	for i, name := range splitList(msg.Params[0]) {
		if !validChannel(name) {
			m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
			continue
		}
		key := ""
		if i < len(keys) {
			key = keys[i]
		}
		res, err := m.cfg.Net.Join(m.member, name, key)
		switch {
		case errors.Is(err, ErrTooManyChannels):
			m.reply(ERR_TOOMANYCHANNELS, name, "You have joined too many channels")
			continue
		case errors.Is(err, ErrBadChannelKey):
			m.reply(ERR_BADCHANNELKEY, res.Name, "Cannot join channel (+k)")
			continue
		case errors.Is(err, ErrChannelIsFull):
			m.reply(ERR_CHANNELISFULL, res.Name, "Cannot join channel (+l)")
			continue
		case errors.Is(err, ErrInviteOnly):
			m.reply(ERR_INVITEONLYCHAN, res.Name, "Cannot join channel (+i)")
			continue
		case errors.Is(err, ErrBanned):
			m.reply(ERR_BANNEDFROMCHAN, res.Name, "Cannot join channel (+b)")
			continue
		}
		if res.Already {
			continue
		}
		m.send(format(m.prefix(), "JOIN", []string{res.Name}, false))
		if res.Topic != "" {
			m.sendTopic(res)
		}
		m.names(res.Name, res.Names)
	}
}

func (m *Machine) sendTopic(res JoinResult) {
	m.reply(RPL_TOPIC, res.Name, res.Topic)
	m.replyData(RPL_TOPICWHOTIME, res.Name, res.TopicBy, strconv.FormatInt(res.TopicAt.Unix(), 10))
}

// names sends 353 lines cut to fit 512 bytes, then 366. Each nick has
// its prefixes: the highest, or all with multi-prefix.
func (m *Machine) names(channel string, names []Name) {
	nicks := make([]string, len(names))
	for i, n := range names {
		nicks[i] = n.Status.prefixes(m.caps[capMultiPrefix]) + n.Nick
	}
	m.replyList(RPL_NAMREPLY, []string{"=", channel}, nicks)
	m.reply(RPL_ENDOFNAMES, channel, "End of /NAMES list")
}

// onPart leaves each channel of a comma list.
func (m *Machine) onPart(msg *Message) {
	for _, name := range splitList(msg.Params[0]) {
		m.part(name, truncate(msg.Param(1), topicLen))
	}
}

func (m *Machine) part(name, reason string) {
	spelled, err := m.cfg.Net.Part(m.member, name, reason)
	switch {
	case errors.Is(err, ErrNoSuchChannel):
		m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
	case errors.Is(err, ErrNotOnChannel):
		m.reply(ERR_NOTONCHANNEL, spelled, "You're not on that channel")
	default:
		params := []string{spelled}
		if reason != "" {
			params = append(params, reason)
		}
		m.send(format(m.prefix(), "PART", params, reason != ""))
	}
}

func (m *Machine) onPrivmsg(msg *Message) { m.message("PRIVMSG", msg, true) }

// onNotice relays like PRIVMSG but never answers: an automatic reply to a
// NOTICE could start a loop between two bots (RFC 2812 §3.3.2).
func (m *Machine) onNotice(msg *Message) { m.message("NOTICE", msg, false) }

func (m *Machine) message(cmd string, msg *Message, answer bool) {
	errorf := func(code Numeric, params ...string) {
		if answer {
			m.reply(code, params...)
		}
	}
	if msg.Param(0) == "" {
		errorf(ERR_NORECIPIENT, "No recipient given ("+cmd+")")
		return
	}
	if msg.Param(1) == "" {
		errorf(ERR_NOTEXTTOSEND, "No text to send")
		return
	}
	for i, target := range splitList(msg.Params[0]) {
		if i >= targetLimit {
			errorf(ERR_TOOMANYTARGETS, target, "Too many targets: at most "+strconv.Itoa(targetLimit))
			continue
		}
		// The relayed line carries our longer prefix: cut the text so that
		// it still fits in 512 bytes.
		room := MaxMessageBytes - 2 - len(":"+m.prefix()+" "+cmd+" "+target+" :")
		away, err := m.cfg.Net.Send(m.member, cmd, target, truncate(msg.Params[1], max(room, 0)))
		switch {
		case err == nil && away != "":
			errorf(RPL_AWAY, target, away)
		case errors.Is(err, ErrNoSuchNick):
			errorf(ERR_NOSUCHNICK, target, "No such nick/channel")
		case errors.Is(err, ErrNoSuchChannel):
			errorf(ERR_NOSUCHCHANNEL, target, "No such channel")
		case errors.Is(err, ErrCannotSend):
			errorf(ERR_CANNOTSENDTOCHAN, target, "Cannot send to channel")
		}
	}
}

// onNames lists one channel's members; NAMES without a channel lists none
// (TARGMAX NAMES:1), which is allowed and keeps the answer small.
func (m *Machine) onNames(msg *Message) {
	list := splitList(msg.Param(0))
	if len(list) == 0 {
		m.reply(RPL_ENDOFNAMES, "*", "End of /NAMES list")
		return
	}
	if spelled, nicks, ok := m.cfg.Net.Names(m.member, list[0]); ok {
		m.names(spelled, nicks)
		return
	}
	m.reply(RPL_ENDOFNAMES, list[0], "End of /NAMES list")
}

// onTopic shows or sets a topic; on a +t channel only operators set it.
func (m *Machine) onTopic(msg *Message) {
	name := msg.Params[0]
	if len(msg.Params) == 1 {
		res, err := m.cfg.Net.Topic(name)
		switch {
		case err != nil:
			m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
		case res.Topic == "":
			m.reply(RPL_NOTOPIC, res.Name, "No topic is set")
		default:
			m.sendTopic(res)
		}
		return
	}
	topic := truncate(msg.Params[1], topicLen)
	spelled, err := m.cfg.Net.SetTopic(m.member, name, topic)
	switch {
	case errors.Is(err, ErrNoSuchChannel):
		m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
	case errors.Is(err, ErrNotOnChannel):
		m.reply(ERR_NOTONCHANNEL, spelled, "You're not on that channel")
	case errors.Is(err, ErrChanOpNeeded):
		m.reply(ERR_CHANOPRIVSNEEDED, spelled, "You're not a channel operator")
	default:
		m.send(format(m.prefix(), "TOPIC", []string{spelled, topic}, true))
	}
}

// splitList splits a comma list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
