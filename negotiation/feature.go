package negotiation

import (
	"bytes"

	"github.com/beevik/etree"
)

// A Feature is one negotiable stream feature. Like a feature in mellium/xmpp
// it is a value: the facts it needs and forbids decide when it is offered,
// and the same decision is checked again when the client asks for it (the
// Prosody rule: what was not advertised is refused with policy-violation).
type Feature struct {
	Name string
	// Upgrade marks the TLS upgrade: the one request a listener that
	// requires TLS accepts before it.
	Upgrade bool
	// Credentials marks a feature that takes credentials: the lab's
	// plaintext bait offers it before TLS whatever the policy.
	Credentials bool
	Needs       Facts
	Forbids     Facts
	// Available adds conditions beyond the facts (listener policy, a
	// verified certificate). nil means always.
	Available func(m *Machine) bool
	// Refusal explains, for the stream error, why a request for this feature
	// is refused when it is not offered.
	Refusal func(m *Machine) string
	// Refuse, when set, answers a request that is not offered in the
	// feature's own terms (a SASL failure rather than a stream error).
	Refuse func(m *Machine, el *etree.Element, space string)
	// Advertise writes the RFC 6120 <stream:features> child.
	Advertise func(m *Machine, b *bytes.Buffer)
	// LegacyNS is the namespace a legacy client declares in its header to
	// ask for the feature, and which the server echoes to offer it.
	LegacyNS string
	// EchoLegacy, when set, decides whether a legacy header echoes
	// LegacyNS in place of "offered now": a feature offered only later in
	// the stream (stream management, once the session is bound) is
	// announced by the header that opens it, as legacy streams have no
	// features to advertise it in when it becomes available.
	EchoLegacy func(m *Machine) bool
	// AdvertiseLegacy writes what follows a legacy header that echoed
	// LegacyNS (XEP-0034's <sasl:mechanisms>), using the client's prefix.
	AdvertiseLegacy func(m *Machine, b *bytes.Buffer, prefix string)
	// Requests are the elements (namespace, local name) this feature handles.
	Requests []Request
	// Matches, when set, decides instead of Requests (for requests that are
	// stanzas, such as an <iq/> carrying a given payload).
	Matches func(el *etree.Element, space string) bool
	// Negotiate acts on a request; it is only called when offered.
	Negotiate func(m *Machine, el *etree.Element, space string)
}

// Request names an element by namespace URI and local name: prefixes never
// matter (<t:starttls xmlns:t='…rfc2595.txt'/> is <tls:starttls/>).
type Request struct{ Space, Local string }

// offered reports whether the feature may be used now.
func (f *Feature) offered(m *Machine) bool {
	if m.facts&f.Needs != f.Needs || m.facts&f.Forbids != 0 {
		return false
	}
	return f.Available == nil || f.Available(m)
}

func (f *Feature) handles(el *etree.Element, space string) bool {
	if f.Matches != nil {
		return f.Matches(el, space)
	}
	for _, r := range f.Requests {
		if r.Space == space && r.Local == el.Tag {
			return true
		}
	}
	return false
}
