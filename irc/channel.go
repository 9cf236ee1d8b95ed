package irc

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Channel limits, announced in ISUPPORT.
const (
	maxBans      = 100 // MAXLIST=b:100
	modesPerLine = 4   // MODES=4: mode changes with a parameter per MODE
	keyLen       = 23  // the longest channel key
)

// status is what a member is on one channel: operator, voiced, both.
type status uint8

const (
	statusOp status = 1 << iota
	statusVoice
)

// prefixes writes st as NAMES and WHO prefixes, highest first: all of them
// for a client with multi-prefix, else only the highest.
func (st status) prefixes(all bool) string {
	var b strings.Builder
	if st&statusOp != 0 {
		b.WriteByte('@')
	}
	if st&statusVoice != 0 {
		b.WriteByte('+')
	}
	if !all && b.Len() > 1 {
		return b.String()[:1]
	}
	return b.String()
}

// chanFlags are the channel modes without a parameter.
type chanFlags struct {
	inviteOnly bool // +i: only invited clients join
	moderated  bool // +m: only voiced members and operators speak
	noExternal bool // +n: only members speak
	topicLock  bool // +t: only operators set the topic
}

// listEntry is one ban: the mask, who set it and when.
type listEntry struct {
	mask  string
	setBy string
	setAt time.Time
}

// channel is one channel; guarded by the network's lock.
type channel struct {
	name    string    // as first joined
	created time.Time // RPL_CREATIONTIME
	members []*Member // in join order, for NAMES
	status  map[*Member]status
	topic   string
	topicBy string
	topicAt time.Time

	flags   chanFlags
	key     string // +k, "" for none
	limit   int    // +l, 0 for none
	bans    []listEntry
	invited map[*Member]bool // INVITE, good for one JOIN
}

func newChannel(name string, now time.Time) *channel {
	return &channel{
		name: name, created: now, status: map[*Member]status{}, invited: map[*Member]bool{},
		flags: chanFlags{noExternal: true, topicLock: true}, // +nt, as most networks create them
	}
}

func (ch *channel) has(m *Member) bool { return slices.Contains(ch.members, m) }

func (ch *channel) isOp(m *Member) bool { return ch.status[m]&statusOp != 0 }

// banned: m's nick!user@host matches a ban mask.
func (ch *channel) banned(m *Member) bool {
	return slices.ContainsFunc(ch.bans, func(b listEntry) bool { return matchMask(b.mask, m.prefix()) })
}

// joinRefusal says why m may not join, nil when it may. key is what the
// client gave. An invitation lets a client past +i (and nothing else).
func (ch *channel) joinRefusal(m *Member, key string) error {
	switch {
	case ch.key != "" && key != ch.key:
		return ErrBadChannelKey
	case ch.limit > 0 && len(ch.members) >= ch.limit:
		return ErrChannelIsFull
	case ch.flags.inviteOnly && !ch.invited[m]:
		return ErrInviteOnly
	case ch.banned(m):
		return ErrBanned
	}
	return nil
}

// sendRefusal says why m may not speak on the channel, nil when it may:
// +n keeps out non-members, +m everyone without voice, a ban everyone
// without voice.
func (ch *channel) sendRefusal(m *Member) error {
	st := ch.status[m]
	if !ch.has(m) && ch.flags.noExternal {
		return ErrCannotSend
	}
	if st != 0 {
		return nil
	}
	if ch.flags.moderated || ch.banned(m) {
		return ErrCannotSend
	}
	return nil
}

// modes is RPL_CHANNELMODEIS's modestring and arguments; the key only for
// members (ISUPPORT CHANMODES order: k, l, then the flags).
func (ch *channel) modes(member bool) []string {
	s, args := "+", []string(nil)
	if ch.key != "" && member {
		s += "k"
		args = append(args, ch.key)
	}
	if ch.limit > 0 {
		s += "l"
		args = append(args, strconv.Itoa(ch.limit))
	}
	f := ch.flags
	for _, c := range []struct {
		on   bool
		mode byte
	}{{f.inviteOnly, 'i'}, {f.moderated, 'm'}, {f.noExternal, 'n'}, {f.topicLock, 't'}} {
		if c.on {
			s += string(c.mode)
		}
	}
	return append([]string{s}, args...)
}

// names lists the members in join order with their status.
func (ch *channel) names() []Name {
	out := make([]Name, len(ch.members))
	for i, p := range ch.members {
		out[i] = Name{Nick: p.nick, User: p.user, Host: p.host, Status: ch.status[p], Invisible: p.invisible}
	}
	return out
}

// Name is one channel member as NAMES and WHO show it.
type Name struct {
	Nick, User, Host string
	Status           status
	Invisible        bool
}

// canonicalMask completes a ban mask to nick!user@host: "bob" bans the
// nick, "*@host" a host, "bob!*" a nick with any user@host.
func canonicalMask(mask string) string {
	nick, rest, hasBang := strings.Cut(mask, "!")
	if !hasBang {
		if user, host, hasAt := strings.Cut(mask, "@"); hasAt {
			return "*!" + orStar(user) + "@" + orStar(host)
		}
		return orStar(mask) + "!*@*"
	}
	user, host, _ := strings.Cut(rest, "@")
	return orStar(nick) + "!" + orStar(user) + "@" + orStar(host)
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// matchMask matches s against a glob of '*' (any run) and '?' (one
// byte), ASCII case-insensitively (CASEMAPPING=ascii).
func matchMask(mask, s string) bool {
	mask, s = fold(mask), fold(s)
	// Iterative glob with backtracking to the last '*': linear in
	// practice, never exponential.
	mi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case mi < len(mask) && (mask[mi] == '?' || mask[mi] == s[si]):
			mi++
			si++
		case mi < len(mask) && mask[mi] == '*':
			star, mark = mi, si
			mi++
		case star >= 0:
			mi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for mi < len(mask) && mask[mi] == '*' {
		mi++
	}
	return mi == len(mask)
}

// validKey: a key is one parameter without a comma (JOIN separates keys
// with commas), no control byte, at most keyLen bytes.
func validKey(k string) bool {
	if k == "" || len(k) > keyLen || strings.HasPrefix(k, ":") {
		return false
	}
	for i := 0; i < len(k); i++ {
		if b := k[i]; b <= ' ' || b == ',' || b == 0x7f {
			return false
		}
	}
	return true
}
