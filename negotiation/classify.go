package negotiation

import (
	"strings"

	"github.com/beevik/etree"

	"jabberd/lab/wire"
	"jabberd/sasl"
)

// Classify says what a top-level element from the client means for the
// lab's verdicts: a STARTTLS request, a SASL exchange (and whether it
// carries credentials or names the injected mechanism), a password in
// jabber:iq:auth or jabber:iq:register.
func Classify(el *etree.Element, space string) wire.Input {
	in := wire.Input{Kind: "element", Name: el.Tag}
	switch space {
	case NSTLS, NSLegacyTLS:
		in.StartTLS = el.Tag == "starttls"
	case sasl.NS, sasl.NSLegacy:
		text := strings.TrimSpace(el.Text())
		switch el.Tag {
		case "auth":
			in.Mechanism = el.SelectAttrValue("mechanism", "")
			in.Injected = in.Mechanism == wire.InjectedMechanism
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
				case NSIQAuth:
					in.Credentials = q.SelectElement("password") != nil || q.SelectElement("digest") != nil
				case NSRegister:
					in.Credentials = q.SelectElement("password") != nil
				}
			}
		}
	}
	return in
}
