// Package stanza holds what every layer that answers a stanza needs: the
// error reply to it (RFC 6120 §8.3, with the XEP-0086 legacy codes) and
// the one list of what in a stanza is a secret, so that no password leaves
// through a reply or a log.
package stanza

import "github.com/beevik/etree"

// What in a stanza is a secret: every SASL payload, and the password and
// digest of jabber:iq:auth and jabber:iq:register queries. One list, used
// for logs (Redacted) and for the payload an error reply echoes
// (ErrorReply), so that no password leaves through either.
var secretNamespaces = map[string]bool{
	"urn:ietf:params:xml:ns:xmpp-sasl":                true,
	"http://www.iana.org/assignments/sasl-mechanisms": true,
}

var secretFields = map[string]map[string]bool{
	"jabber:iq:auth":     {"password": true, "digest": true}, // XEP-0078
	"jabber:iq:register": {"password": true},                 // XEP-0077
}

// Redacted returns el, or a copy of it with the text of every secret
// replaced by "[redacted]", for logging.
func Redacted(el *etree.Element) *etree.Element {
	if !hasSecret(el) {
		return el
	}
	cp := el.Copy()
	walkSecrets(cp, func(s *etree.Element) { s.SetText("[redacted]") })
	return cp
}

// withoutSecrets returns a copy of el with its secret elements removed.
func withoutSecrets(el *etree.Element) *etree.Element {
	cp := el.Copy()
	var found []*etree.Element
	walkSecrets(cp, func(s *etree.Element) { found = append(found, s) })
	for _, s := range found {
		if p := s.Parent(); p != nil {
			p.RemoveChild(s)
		} else {
			s.SetText("")
		}
	}
	return cp
}

func hasSecret(el *etree.Element) bool {
	found := false
	walkSecrets(el, func(*etree.Element) { found = true })
	return found
}

// walkSecrets calls f for every secret element in el's tree (el included).
func walkSecrets(el *etree.Element, f func(*etree.Element)) {
	ns := el.NamespaceURI()
	if secretNamespaces[ns] {
		if el.Text() != "" {
			f(el)
		}
		return
	}
	for _, c := range el.ChildElements() {
		if fields := secretFields[ns]; fields != nil && fields[c.Tag] && c.NamespaceURI() == ns {
			f(c)
			continue
		}
		walkSecrets(c, f)
	}
}
