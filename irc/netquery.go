package irc

import (
	"slices"
	"strings"
	"time"
)

// The network's read-only answers: snapshots taken under its lock, which
// the machine formats (WHO, WHOIS, WHOWAS, LIST, LUSERS, ISON, USERHOST).

// UserInfo is one registered member as WHOIS, WHO and USERHOST show it.
type UserInfo struct {
	Nick, User, Host, Realname string
	Account                    string // "" when not logged in
	Away                       string // "" when here
	Secure, Invisible          bool
	Signon                     time.Time
	Idle                       time.Duration // since its last PRIVMSG or NOTICE
	// Channels (WHOIS) are those asker may see, by name; Status is the
	// member's on each (parallel to Channels).
	Channels []string
	Status   []status
}

func (n *Network) info(m *Member) UserInfo {
	return UserInfo{
		Nick: m.nick, User: m.user, Host: m.host, Realname: m.realname, Account: m.account, Away: m.away,
		Secure: m.secure, Invisible: m.invisible, Signon: m.signon, Idle: n.now().Sub(m.active),
	}
}

// Lookup returns a registered nick's details with the channels asker may
// see it on: all of them, except that an invisible member's channels are
// shown only where asker is too.
func (n *Network) Lookup(asker *Member, nick string) (UserInfo, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.nicks[fold(nick)]
	if m == nil || !m.registered {
		return UserInfo{}, false
	}
	u := n.info(m)
	for _, key := range sortedKeys(m.chans) {
		ch := m.chans[key]
		if m.invisible && m != asker && !ch.has(asker) {
			continue
		}
		u.Channels = append(u.Channels, ch.name)
		u.Status = append(u.Status, ch.status[m])
	}
	return u, true
}

// Users returns the registered members among nicks, each once, in the
// order asked (ISON, USERHOST).
func (n *Network) Users(nicks []string) []UserInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []UserInfo
	seen := map[*Member]bool{}
	for _, nick := range nicks {
		if m := n.nicks[fold(nick)]; m != nil && m.registered && !seen[m] {
			seen[m] = true
			out = append(out, n.info(m))
		}
	}
	return out
}

// WhoEntry is one WHO reply: a member, and the channel it was found on
// ("" for a nick or mask query) with its status there.
type WhoEntry struct {
	UserInfo
	Channel string
	Status  status
}

// Who answers WHO mask for asker: a channel's members (the invisible ones
// only when asker is on it), an exact nick, or every member matching a
// mask of '*' and '?' by nick, nick!user@host, host or realname, without
// the invisible ones that share no channel with asker ("0" and "*" match
// all).
func (n *Network) Who(asker *Member, mask string) (string, []WhoEntry) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if isChannel(mask) {
		ch := n.chans[fold(mask)]
		if ch == nil {
			return mask, nil
		}
		in := ch.has(asker)
		var out []WhoEntry
		for _, p := range ch.members {
			if p.invisible && !in {
				continue
			}
			out = append(out, WhoEntry{UserInfo: n.info(p), Channel: ch.name, Status: ch.status[p]})
		}
		return ch.name, out
	}
	given := mask
	if mask == "0" { // RFC 1459: WHO 0 is everyone
		mask = "*"
	}
	if !strings.ContainsAny(mask, "*?") {
		if m := n.nicks[fold(mask)]; m != nil && m.registered {
			return given, []WhoEntry{{UserInfo: n.info(m)}}
		}
		return given, nil
	}
	var matches []*Member
	for m := range n.conns {
		if !m.registered || m.invisible && m != asker && !n.sharesChannel(m, asker) {
			continue
		}
		if matchMask(mask, m.nick) || matchMask(mask, m.prefix()) ||
			matchMask(mask, m.host) || matchMask(mask, m.realname) {
			matches = append(matches, m)
		}
	}
	slices.SortFunc(matches, func(a, b *Member) int { return strings.Compare(fold(a.nick), fold(b.nick)) })
	out := make([]WhoEntry, len(matches))
	for i, m := range matches {
		out[i] = WhoEntry{UserInfo: n.info(m)}
	}
	return given, out
}

func (n *Network) sharesChannel(a, b *Member) bool {
	for key := range a.chans {
		if _, ok := b.chans[key]; ok {
			return true
		}
	}
	return false
}

// WhoWas is a nick that left: the user, host and realname it had.
type WhoWas struct {
	Nick, User, Host, Realname string
	At                         time.Time
}

// remember records m's nick before it changes or quits.
func (n *Network) remember(m *Member) {
	n.history = append(n.history, WhoWas{Nick: m.nick, User: m.user, Host: m.host, Realname: m.realname, At: n.now()})
	if len(n.history) > historyLen {
		n.history = slices.Delete(n.history, 0, len(n.history)-historyLen)
	}
}

// WhoWasList returns what is remembered of nick, newest first, at most
// count entries (0: all).
func (n *Network) WhoWasList(nick string, count int) []WhoWas {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []WhoWas
	for i := len(n.history) - 1; i >= 0; i-- {
		if fold(n.history[i].Nick) == fold(nick) {
			out = append(out, n.history[i])
			if count > 0 && len(out) == count {
				break
			}
		}
	}
	return out
}

// ListEntry is one channel of LIST.
type ListEntry struct {
	Name  string
	Users int
	Topic string
}

// List returns the named channels that exist, or all of them when names
// is empty, by name.
func (n *Network) List(names []string) []ListEntry {
	n.mu.Lock()
	defer n.mu.Unlock()
	var keys []string
	if len(names) == 0 {
		keys = sortedKeys(n.chans)
	} else {
		for _, name := range names {
			keys = append(keys, fold(name))
		}
	}
	var out []ListEntry
	for _, k := range keys {
		if ch := n.chans[k]; ch != nil {
			out = append(out, ListEntry{Name: ch.name, Users: len(ch.members), Topic: ch.topic})
		}
	}
	return out
}

// Counts are LUSERS's numbers.
type Counts struct {
	Users, Invisible, Unregistered, Channels, MaxUsers int
}

// Lusers counts the network's members and channels.
func (n *Network) Lusers() Counts {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := Counts{Channels: len(n.chans), MaxUsers: n.maxUsers}
	for m := range n.conns {
		switch {
		case !m.registered:
			c.Unregistered++
		case m.invisible:
			c.Invisible++
		default:
			c.Users++
		}
	}
	return c
}
