package negotiation

import (
	"bytes"

	"github.com/beevik/etree"
)

// NSCSI is XEP-0352 Client State Indication.
const NSCSI = "urn:xmpp:csi:0"

// csiFeature is XEP-0352 on bound RFC 6120 streams: <active/> and
// <inactive/> are reported to the connection (Action CSI), which holds
// presence while the client is inactive.
func csiFeature() *Feature {
	return &Feature{
		Name:  "csi",
		Needs: Authenticated,
		Available: func(m *Machine) bool {
			return m.dialect == RFC6120 && m.cfg.CSI
		},
		Refusal: func(m *Machine) string {
			return "client state indication is not offered on this stream"
		},
		Advertise: func(m *Machine, b *bytes.Buffer) {
			b.WriteString("<csi xmlns='" + NSCSI + "'/>")
		},
		Requests: []Request{{NSCSI, "active"}, {NSCSI, "inactive"}},
		Negotiate: func(m *Machine, el *etree.Element, _ string) {
			if m.facts&Bound == 0 {
				return // XEP-0352 §4: only a bound session has a state
			}
			m.flush()
			m.actions = append(m.actions, Action{Kind: CSI, Inactive: el.Tag == "inactive"})
		},
	}
}
