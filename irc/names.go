package irc

import "strings"

// Name limits, announced in ISUPPORT.
const (
	nickLen     = 30
	channelLen  = 50
	topicLen    = 390
	userLen     = 16
	realnameLen = 100
	chanLimit   = 20 // channels one client may be on
	targetLimit = 4  // targets of one PRIVMSG or NOTICE
)

// fold maps a nick or channel name to its key. CASEMAPPING=ascii: only
// A-Z fold, so that no two spellings of different length ever collide.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// validNick follows RFC 2812 §2.3.1: a letter or special first, then
// letters, digits, specials and '-'. Anything else could be mistaken for a
// channel, a prefix or a parameter boundary.
func validNick(n string) bool {
	if n == "" || len(n) > nickLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', strings.IndexByte("[]\\`_^{|}", c) >= 0:
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// validChannel accepts '#' and 1..49 bytes without space, comma, BEL or
// colon (RFC 2812 §1.3), and no control byte.
func validChannel(c string) bool {
	if len(c) < 2 || len(c) > channelLen || c[0] != '#' {
		return false
	}
	for i := 1; i < len(c); i++ {
		if b := c[i]; b <= ' ' || b == ',' || b == ':' || b == 0x7f {
			return false
		}
	}
	return true
}

// isChannel tells a channel target from a nick.
func isChannel(target string) bool { return strings.HasPrefix(target, "#") }

// cleanUser keeps what may stand in nick!user@host of the USER name, so
// that a client cannot forge another prefix.
func cleanUser(u string) string {
	var b strings.Builder
	for i := 0; i < len(u) && b.Len() < userLen; i++ {
		c := u[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.[]{}|^`\\", c) >= 0 {
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "user"
	}
	return b.String()
}
