package lab

import (
	"strings"

	"github.com/beevik/etree"
)

// The namespaces the verdicts look at. They are spelled here rather than
// imported: the protocol packages depend on lab's profiles through the
// configuration, not the other way round.
const (
	nsTLS          = "urn:ietf:params:xml:ns:xmpp-tls"
	nsLegacyTLS    = "http://www.ietf.org/rfc/rfc2595.txt"
	nsSASL         = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsLegacySASL   = "http://www.iana.org/assignments/sasl-mechanisms"
	nsIQAuth       = "jabber:iq:auth"
	nsIQRegister   = "jabber:iq:register"
	xmppInjectTail = "</mechanism></mechanisms></stream:features>"
)

// XMPPInjection is the plaintext the inject-after-proceed profile sends
// after the go-ahead: stream features whose only mechanism is
// InjectedMechanism. A client that later asks for that mechanism read the
// injection as if it had come over TLS.
var XMPPInjection = []byte("<stream:features><mechanisms xmlns='" + nsSASL + "'><mechanism>" + InjectedMechanism + xmppInjectTail)

// XMPPElement describes a top-level element from an XMPP client.
func XMPPElement(el *etree.Element, space string) Input {
	in := Input{Kind: "element"}
	switch space {
	case nsTLS, nsLegacyTLS:
		in.StartTLS = el.Tag == "starttls"
	case nsSASL, nsLegacySASL:
		text := strings.TrimSpace(el.Text())
		switch el.Tag {
		case "auth":
			in.Mechanism = el.SelectAttrValue("mechanism", "")
			in.Injected = in.Mechanism == InjectedMechanism
			in.Credentials = in.Mechanism == "PLAIN" && text != "" && text != "="
		case "response":
			in.Credentials = text != "" && text != "="
		case "abort":
			in.SASLAbort = true
		}
	default:
		if el.Tag == "iq" && el.SelectAttrValue("type", "") == "set" {
			for _, q := range el.ChildElements() {
				switch q.NamespaceURI() {
				case nsIQAuth:
					in.Credentials = q.SelectElement("password") != nil || q.SelectElement("digest") != nil
				case nsIQRegister:
					in.Credentials = q.SelectElement("password") != nil
				}
			}
		}
	}
	return in
}
