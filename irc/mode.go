package irc

import (
	"errors"
	"strconv"
	"strings"
)

// MODE: user modes (i) and channel modes (RFC 2812 §3.1.5, §3.2.3; the
// Modern IRC document). Channel modes follow ISUPPORT CHANMODES=b,k,l,imnt
// and PREFIX=(ov)@+: b is a list, k always has a parameter, l has one when
// set, i m n t are flags, o and v give a member status.

// ModeChange is one channel mode change: +o bob, -k, +b mask.
type ModeChange struct {
	Add  bool
	Mode byte
	Arg  string
}

// ModeRefusal is one change the network did not make, and why.
type ModeRefusal struct {
	Change ModeChange
	Err    error // ErrNoSuchNick, ErrUserNotOnIt, ErrBanListFull, ErrInvalidParam
}

// chanModeKinds says which channel modes take a parameter; anything else
// is unknown (472).
var chanModeKinds = map[byte]string{
	'b': "list", 'k': "key", 'l': "limit", 'o': "member", 'v': "member",
	'i': "flag", 'm': "flag", 'n': "flag", 't': "flag",
}

// onMode shows or changes a channel's or the client's own modes.
func (m *Machine) onMode(msg *Message) {
	target := msg.Params[0]
	if isChannel(target) {
		m.channelMode(target, msg.Params[1:])
		return
	}
	if fold(target) != fold(m.nick) {
		if !m.cfg.Net.Exists(target) {
			m.reply(ERR_NOSUCHNICK, target, "No such nick/channel")
			return
		}
		m.reply(ERR_USERSDONTMATCH, "Cannot change mode for other users")
		return
	}
	if len(msg.Params) == 1 {
		m.replyData(RPL_UMODEIS, m.userModes())
		return
	}
	m.changeUserModes(msg.Params[1])
}

func (m *Machine) userModes() string {
	if m.invisible {
		return "+i"
	}
	return "+"
}

func (m *Machine) changeUserModes(change string) {
	add, was, unknown := true, m.invisible, false
	for _, c := range change {
		switch c {
		case '+', '-':
			add = c == '+'
		case 'i':
			m.invisible = add
		default:
			unknown = true
		}
	}
	if unknown {
		m.reply(ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
	}
	if m.invisible != was {
		m.cfg.Net.SetInvisible(m.member, m.invisible)
		sign := "-"
		if m.invisible {
			sign = "+"
		}
		m.send(format(m.nick, "MODE", []string{m.nick, sign + "i"}, true))
	}
}

// channelMode answers a query (324 and 329), lists bans (367, 368) for a
// b without a mask, and applies changes, which need a channel operator.
func (m *Machine) channelMode(name string, params []string) {
	if len(params) == 0 {
		spelled, modes, created, ok := m.cfg.Net.ChannelModes(m.member, name)
		if !ok {
			m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
			return
		}
		m.replyData(RPL_CHANNELMODEIS, append([]string{spelled}, modes...)...)
		m.replyData(RPL_CREATIONTIME, spelled, strconv.FormatInt(created.Unix(), 10))
		return
	}
	changes, listBans, unknown := parseChannelModes(params)
	for _, c := range unknown {
		m.reply(ERR_UNKNOWNMODE, string(c), "is unknown mode char to me")
	}
	if listBans {
		spelled, bans, ok := m.cfg.Net.Bans(name)
		if !ok {
			m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
			return
		}
		for _, b := range bans {
			m.replyData(RPL_BANLIST, spelled, b.mask, b.setBy, strconv.FormatInt(b.setAt.Unix(), 10))
		}
		m.reply(RPL_ENDOFBANLIST, spelled, "End of channel ban list")
	}
	if len(changes) == 0 {
		if !listBans && len(unknown) == 0 && !m.cfg.Net.ChannelExists(name) {
			m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
		}
		return
	}
	spelled, applied, refused, err := m.cfg.Net.ChangeModes(m.member, name, changes)
	if m.channelRefusal(err, name, spelled) {
		return
	}
	for _, r := range refused {
		switch {
		case errors.Is(r.Err, ErrNoSuchNick):
			m.reply(ERR_NOSUCHNICK, r.Change.Arg, "No such nick/channel")
		case errors.Is(r.Err, ErrUserNotOnIt):
			m.reply(ERR_USERNOTINCHANNEL, r.Change.Arg, spelled, "They aren't on that channel")
		case errors.Is(r.Err, ErrBanListFull):
			m.reply(ERR_BANLISTFULL, spelled, "b", "Channel ban list is full")
		case errors.Is(r.Err, ErrInvalidParam):
			m.reply(ERR_INVALIDMODEPARAM, spelled, string(r.Change.Mode), r.Change.Arg, "Invalid "+string(r.Change.Mode)+" mode parameter")
		}
	}
	if len(applied) > 0 {
		m.send(format(m.prefix(), "MODE", append([]string{spelled}, modeParams(applied)...), false))
	}
}

// parseChannelModes reads a modestring and its parameters. A sign is
// '+' until one is given. A b without a parameter asks for the ban list;
// o, v, +k and +l without one are ignored, as are parameters past
// MODES=4 and those that could not stand in a reply (empty, or holding a
// space or a leading ':'). -k takes its parameter when there is one.
func parseChannelModes(params []string) (changes []ModeChange, listBans bool, unknown []byte) {
	modestring, args := params[0], params[1:]
	add, withArg := true, 0
	next := func() (string, bool) {
		if len(args) == 0 {
			return "", false
		}
		a := args[0]
		args = args[1:]
		return a, true
	}
	for i := 0; i < len(modestring); i++ {
		c := modestring[i]
		if c == '+' || c == '-' {
			add = c == '+'
			continue
		}
		kind, ok := chanModeKinds[c]
		if !ok {
			unknown = append(unknown, c)
			continue
		}
		ch := ModeChange{Add: add, Mode: c}
		var arg string
		var has bool
		switch {
		case kind == "flag", kind == "limit" && !add:
		case kind == "key" && !add:
			next() // the old key, if given; "*" is shown
			ch.Arg = "*"
		default:
			if arg, has = next(); !has {
				if kind == "list" {
					listBans = true
				}
				continue
			}
			if !validParam(arg) {
				continue
			}
			ch.Arg = arg
		}
		if kind == "member" || kind == "list" || add && (kind == "key" || kind == "limit") {
			if withArg == modesPerLine {
				continue
			}
			withArg++
		}
		changes = append(changes, ch)
	}
	return changes, listBans, unknown
}

// validParam: s can stand as a middle parameter of a reply.
func validParam(s string) bool {
	return s != "" && !strings.HasPrefix(s, ":") && !strings.ContainsAny(s, " \x00\r\n")
}

// modeParams writes applied changes as a modestring and its parameters,
// one sign per run: +o-v bob carol.
func modeParams(changes []ModeChange) []string {
	var b strings.Builder
	var args []string
	for i, c := range changes {
		if i == 0 || c.Add != changes[i-1].Add {
			if c.Add {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
		}
		b.WriteByte(c.Mode)
		if c.Arg != "" {
			args = append(args, c.Arg)
		}
	}
	return append([]string{b.String()}, args...)
}
