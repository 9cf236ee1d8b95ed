package negotiation

import (
	"bytes"
	"encoding/base64"
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

// ClaimedUsername is the username an element claims, before anything checks
// it: the authentication identity of a SASL PLAIN or SCRAM first message,
// the <username/> of a jabber:iq:auth request. The lab reads a +profile
// tag there. It returns "" for any other element. The password in a PLAIN
// message is read past, never returned.
func ClaimedUsername(el *etree.Element, space string) string {
	switch {
	case (space == sasl.NS || space == sasl.NSLegacy) && el.Tag == "auth":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(el.Text()))
		if err != nil || len(raw) == 0 {
			return ""
		}
		switch mech := el.SelectAttrValue("mechanism", ""); {
		case mech == "PLAIN":
			if parts := bytes.SplitN(raw, []byte{0}, 3); len(parts) == 3 {
				return string(parts[1])
			}
		case strings.HasPrefix(mech, "SCRAM-"):
			// gs2-header "n,," then "n=user,r=nonce" (RFC 5802 §7).
			for _, attr := range strings.Split(string(raw), ",") {
				if name, ok := strings.CutPrefix(attr, "n="); ok {
					return strings.NewReplacer("=2C", ",", "=3D", "=").Replace(name)
				}
			}
		}
	case el.Tag == "iq":
		for _, q := range el.ChildElements() {
			if q.NamespaceURI() == NSIQAuth {
				if u := q.SelectElement("username"); u != nil {
					return strings.TrimSpace(u.Text())
				}
			}
		}
	}
	return ""
}
