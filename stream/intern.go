package stream

// constants are the names, namespaces and values a client's stream usually
// carries. A header's declarations and name stay with the session for as
// long as it lasts (the namespaces in scope, the name only the closing tag
// may use, the machine's prefixes): as constants they share one copy, and
// the strings the header was read into go with it. The scanner takes every
// name and value it reads from here when it can, and allocates none for
// them.
var constants = func() *[internSlots]string {
	var t [internSlots]string
	for _, s := range []string{
		// stream headers
		"stream", NSStreams, NSClient, "sm", "urn:xmpp:sm:3", "xmlns", "xml", "lang",
		"to", "from", "id", "version", "1.0", "en", "localhost",
		// negotiation
		"starttls", "urn:ietf:params:xml:ns:xmpp-tls", "http://www.ietf.org/rfc/rfc2595.txt",
		"auth", "response", "abort", "mechanism", "urn:ietf:params:xml:ns:xmpp-sasl",
		"PLAIN", "EXTERNAL", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS",
		"bind", "resource", "urn:ietf:params:xml:ns:xmpp-bind",
		"session", "urn:ietf:params:xml:ns:xmpp-session", "jabber:iq:auth", "username", "password", "digest",
		"enable", "resume", "r", "a", "h", "previd",
		// stanzas
		"iq", "message", "presence", "type", "set", "get", "result", "error", "chat", "groupchat",
		"body", "subject", "thread", "show", "status", "priority", "away", "xa", "dnd", "unavailable",
		"query", "jabber:iq:roster", "urn:xmpp:ping", "ping", "c", "hash", "node", "ver", "sha-1",
		"http://jabber.org/protocol/caps", "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items",
	} {
		for h := internHash(s); ; h = (h + 1) % internSlots {
			if t[h] == "" {
				t[h] = s
				break
			}
		}
	}
	return &t
}()

// internSlots is the size of the open-addressed table of constants, a few
// times their number so that a lookup seldom compares more than once.
const internSlots = 512

// internHash is cheap rather than good: the length and two bytes tell the
// constants apart well enough.
func internHash[T string | []byte](s T) int {
	if len(s) == 0 {
		return 0
	}
	return (len(s)*131 + int(s[0])*31 + int(s[len(s)-1])) % internSlots
}

// lookup finds the constant equal to s; a string(b) compared is not made.
func lookup[T string | []byte](s T) (string, bool) {
	for h := internHash(s); constants[h] != ""; h = (h + 1) % internSlots {
		if constants[h] == string(s) {
			return constants[h], true
		}
	}
	return "", false
}

// intern returns the constant equal to s, else s.
func intern(s string) string {
	if c, ok := lookup(s); ok {
		return c
	}
	return s
}

// internBytes returns the constant equal to b, else a new string of it.
func internBytes(b []byte) string {
	if c, ok := lookup(b); ok {
		return c
	}
	return string(b)
}
