package stream

// constants are the names, namespaces and values a client's stream usually
// carries. A header's declarations and name stay with the session for as
// long as it lasts (the namespaces in scope, the name only the closing tag
// may use, the machine's prefixes): as constants they share one copy, and
// the decoder's strings go with the header. The scanner takes every name
// and value it reads from here when it can, and allocates none for them.
var constants = func() map[string]string {
	m := make(map[string]string)
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
		m[s] = s
	}
	return m
}()

// intern returns the constant equal to s, else s.
func intern(s string) string {
	if c, ok := constants[s]; ok {
		return c
	}
	return s
}

// internBytes returns the constant equal to b, else a new string of it.
func internBytes(b []byte) string {
	if c, ok := constants[string(b)]; ok {
		return c
	}
	return string(b)
}
