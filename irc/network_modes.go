package irc

import (
	"strconv"
	"time"
)

// The network's side of modes: queries, changes, bans.

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
	switch c.Mode {
	case 'i':
		return setFlag(&ch.flags.inviteOnly, c.Add), nil
	case 'm':
		return setFlag(&ch.flags.moderated, c.Add), nil
	case 'n':
		return setFlag(&ch.flags.noExternal, c.Add), nil
	case 't':
		return setFlag(&ch.flags.topicLock, c.Add), nil
	case 'k':
		return applyKey(ch, c)
	case 'l':
		return applyLimit(ch, c)
	case 'o', 'v':
		return n.applyStatus(ch, c)
	case 'b':
		return n.applyBan(m, ch, c)
	}
	return false, nil
}

// setFlag sets a channel flag; it reports whether that changed it.
func setFlag(p *bool, add bool) bool {
	if *p == add {
		return false
	}
	*p = add
	return true
}

// applyKey sets or removes the channel key (+k).
func applyKey(ch *channel, c *ModeChange) (bool, error) {
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
}

// applyLimit sets or removes the member limit (+l).
func applyLimit(ch *channel, c *ModeChange) (bool, error) {
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
}

// applyStatus gives or takes a member's operator or voice status (+o, +v).
func (n *Network) applyStatus(ch *channel, c *ModeChange) (bool, error) {
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
}

// applyBan adds or removes a ban mask (+b), completed to nick!user@host.
func (n *Network) applyBan(m *Member, ch *channel, c *ModeChange) (bool, error) {
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
