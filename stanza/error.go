package stanza

import "github.com/beevik/etree"

// NSStanzas is the namespace of stanza error conditions (RFC 6120 §8.3).
const NSStanzas = "urn:ietf:params:xml:ns:xmpp-stanzas"

// Error describes an error reply: the RFC 6120 condition and type,
// and the legacy numeric code old clients read (XEP-0086).
type Error struct {
	Code      string // "401"
	Type      string // "auth", "cancel", "modify", "wait"
	Condition string // "not-authorized"
	Text      string
}

// The stanza errors the server sends.
var (
	ErrNotAuthorized      = Error{"401", "auth", "not-authorized", ""}
	ErrNotAcceptable      = Error{"406", "modify", "not-acceptable", ""}
	ErrBadRequest         = Error{"400", "modify", "bad-request", ""}
	ErrServiceUnavailable = Error{"503", "cancel", "service-unavailable", ""}
	ErrNotAllowed         = Error{"405", "cancel", "not-allowed", ""}
	ErrRemoteNotFound     = Error{"404", "cancel", "remote-server-not-found", ""}
	ErrConflict           = Error{"409", "cancel", "conflict", ""}
	ErrForbidden          = Error{"403", "auth", "forbidden", ""}
	ErrItemNotFound       = Error{"404", "cancel", "item-not-found", ""}
	ErrResourceConstraint = Error{"500", "wait", "resource-constraint", ""}
	ErrPolicyViolation    = Error{"406", "modify", "policy-violation", ""}
	ErrInternal           = Error{"500", "wait", "internal-server-error", ""}
	ErrFeatureNotImpl     = Error{"501", "cancel", "feature-not-implemented", ""}
)

// WithText returns a copy of e carrying a human-readable text.
func (e Error) WithText(text string) Error {
	e.Text = text
	return e
}

// ErrorReply builds the error answer to stanza el: same name and id, to and
// from swapped, type='error', the original payload kept (RFC 6120 §8.3.1)
// except its secrets: a password sent in a request never comes back.
func ErrorReply(el *etree.Element, e Error) *etree.Element {
	r := etree.NewElement(el.Tag)
	if id := el.SelectAttr("id"); id != nil {
		r.CreateAttr("id", id.Value)
	}
	r.CreateAttr("type", "error")
	if to := el.SelectAttrValue("to", ""); to != "" {
		r.CreateAttr("from", to)
	}
	if from := el.SelectAttrValue("from", ""); from != "" {
		r.CreateAttr("to", from)
	}
	for _, c := range withoutSecrets(el).ChildElements() {
		r.AddChild(c)
	}
	r.AddChild(e.Element())
	return r
}

// Element is the <error/> child.
func (e Error) Element() *etree.Element {
	x := etree.NewElement("error")
	if e.Code != "" {
		x.CreateAttr("code", e.Code)
	}
	x.CreateAttr("type", e.Type)
	x.CreateElement(e.Condition).CreateAttr("xmlns", NSStanzas)
	if e.Text != "" {
		t := x.CreateElement("text")
		t.CreateAttr("xmlns", NSStanzas)
		t.CreateAttr("xml:lang", "en")
		t.SetText(e.Text)
	}
	return x
}

// Error makes an Error an error, so that a stanza error can travel up
// from where it was decided to where the reply is written.
func (e Error) Error() string {
	if e.Text != "" {
		return e.Condition + ": " + e.Text
	}
	return e.Condition
}
