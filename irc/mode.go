package irc

import (
	"errors"
	"strconv"
	"strings"
	"time"
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
	switch {
	case errors.Is(err, ErrNoSuchChannel):
		m.reply(ERR_NOSUCHCHANNEL, name, "No such channel")
		return
	case errors.Is(err, ErrNotOnChannel):
		m.reply(ERR_NOTONCHANNEL, spelled, "You're not on that channel")
		return
	case errors.Is(err, ErrChanOpNeeded):
		m.reply(ERR_CHANOPRIVSNEEDED, spelled, "You're not a channel operator")
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

// Exists reports whether nick is registered.
func (n *Network) Exists(nick string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.nicks[fold(nick)]
	return m != nil && m.registered
}

// ChannelExists reports whether the channel exists.
func (n *Network) ChannelExists(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.chans[fold(name)] != nil
}

// ChannelModes returns a channel's spelling, modestring with its
// parameters (the key only for members) and creation time.
func (n *Network) ChannelModes(asker *Member, name string) (string, []string, time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := n.chans[fold(name)]
	if ch == nil {
		return "", nil, time.Time{}, false
	}
	return ch.name, ch.modes(ch.has(asker)), ch.created, true
}

// Bans returns a channel's spelling and ban list, oldest first.
func (n *Network) Bans(name string) (string, []listEntry, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := n.chans[fold(name)]
	if ch == nil {
		return "", nil, false
	}
	return ch.name, append([]listEntry(nil), ch.bans...), true
}

// ChangeModes applies an operator's changes to a channel in order and
// returns those that changed something, as the members are shown them
// (nicks as spelled, masks completed to nick!user@host, -k as *), and
// those refused. The other members see one MODE line with the applied
// ones.
func (n *Network) ChangeModes(m *Member, name string, changes []ModeChange) (string, []ModeChange, []ModeRefusal, error) {
	n.mu.Lock()
	ch := n.chans[fold(name)]
	switch {
	case ch == nil:
		n.mu.Unlock()
		return "", nil, nil, ErrNoSuchChannel
	case !ch.has(m):
		n.mu.Unlock()
		return ch.name, nil, nil, ErrNotOnChannel
	case !ch.isOp(m):
		n.mu.Unlock()
		return ch.name, nil, nil, ErrChanOpNeeded
	}
	var applied []ModeChange
	var refused []ModeRefusal
	for _, c := range changes {
		done, err := n.apply(m, ch, &c)
		switch {
		case err != nil:
			refused = append(refused, ModeRefusal{c, err})
		case done:
			applied = append(applied, c)
		}
	}
	var out []delivery
	if len(applied) > 0 {
		line := format(m.prefix(), "MODE", append([]string{ch.name}, modeParams(applied)...), false)
		for _, p := range ch.members {
			if p != m {
				out = append(out, n.to(p, line))
			}
		}
	}
	n.mu.Unlock()
	deliver(out)
	return ch.name, applied, refused, nil
}

// apply makes one change; done is false when it changed nothing. It
// rewrites c's parameter to what the members are shown.
func (n *Network) apply(m *Member, ch *channel, c *ModeChange) (done bool, err error) {
	flag := func(p *bool) bool {
		if *p == c.Add {
			return false
		}
		*p = c.Add
		return true
	}
	switch c.Mode {
	case 'i':
		return flag(&ch.flags.inviteOnly), nil
	case 'm':
		return flag(&ch.flags.moderated), nil
	case 'n':
		return flag(&ch.flags.noExternal), nil
	case 't':
		return flag(&ch.flags.topicLock), nil
	case 'k':
		switch {
		case !c.Add:
			if ch.key == "" {
				return false, nil
			}
			ch.key = ""
			return true, nil
		case !validKey(c.Arg):
			return false, ErrInvalidParam
		case ch.key == c.Arg:
			return false, nil
		}
		ch.key = c.Arg
		return true, nil
	case 'l':
		if !c.Add {
			if ch.limit == 0 {
				return false, nil
			}
			ch.limit = 0
			return true, nil
		}
		l, err := strconv.Atoi(c.Arg)
		if err != nil || l <= 0 {
			return false, ErrInvalidParam
		}
		c.Arg = strconv.Itoa(l)
		if ch.limit == l {
			return false, nil
		}
		ch.limit = l
		return true, nil
	case 'o', 'v':
		p := n.nicks[fold(c.Arg)]
		switch {
		case p == nil || !p.registered:
			return false, ErrNoSuchNick
		case !ch.has(p):
			return false, ErrUserNotOnIt
		}
		c.Arg = p.nick
		bit := statusOp
		if c.Mode == 'v' {
			bit = statusVoice
		}
		was := ch.status[p]
		if c.Add {
			ch.status[p] = was | bit
		} else {
			ch.status[p] = was &^ bit
		}
		return ch.status[p] != was, nil
	case 'b':
		mask := canonicalMask(c.Arg)
		i := -1
		for j, b := range ch.bans {
			if fold(b.mask) == fold(mask) {
				i = j
			}
		}
		switch {
		case !c.Add && i < 0, c.Add && i >= 0:
			return false, nil
		case !c.Add:
			c.Arg = ch.bans[i].mask
			ch.bans = append(ch.bans[:i], ch.bans[i+1:]...)
			return true, nil
		case len(ch.bans) >= maxBans:
			return false, ErrBanListFull
		}
		c.Arg = mask
		ch.bans = append(ch.bans, listEntry{mask: mask, setBy: m.prefix(), setAt: n.now()})
		return true, nil
	}
	return false, nil
}
