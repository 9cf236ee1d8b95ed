package negotiation

import (
	"bytes"
	"strconv"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// NSSM is XEP-0198 Stream Management, version 3.
const NSSM = "urn:xmpp:sm:3"

// SM configures XEP-0198 on a listener; nil in Config offers none.
type SM struct {
	// Resume offers resumption (the connection keeps a detached session
	// for MaxResume seconds).
	Resume    bool
	MaxResume int
}

// smFeature is XEP-0198: <enable/> after binding, <resume/> in its place,
// and the <r/>/<a/> exchange once enabled. The machine counts the stanzas
// it received; what the server sends is counted by the connection, which
// owns the queue of what is unacknowledged.
//
// RFC 6120 streams advertise it in <stream:features>. A legacy stream has
// no features, and XEP-0198 none of its own to offer it there; it is
// offered the way this dialect offers everything (XEP-0035, XEP-0034): a
// client that declares xmlns:sm='urn:xmpp:sm:3' in its header has the
// declaration echoed, and may then enable it once its session is bound
// (jabber:iq:auth) or resume in place of the session start (after
// XEP-0034 SASL, which authenticates without binding). A legacy stream
// that did not ask gets the same refusal as anything not offered.
func smFeature() *Feature {
	return &Feature{
		Name:     "sm",
		Needs:    Authenticated,
		LegacyNS: NSSM,
		EchoLegacy: func(m *Machine) bool {
			return m.cfg.SM != nil
		},
		Available: func(m *Machine) bool {
			if m.cfg.SM == nil {
				return false
			}
			return m.dialect == RFC6120 || (m.dialect == Legacy && m.decls.Declares(NSSM))
		},
		Refusal: func(m *Machine) string {
			switch {
			case m.facts&Authenticated == 0:
				return "authenticate before enabling stream management"
			case m.cfg.SM != nil && m.dialect == Legacy:
				return "stream management is offered on a legacy stream whose header declares xmlns:sm='" + NSSM + "'"
			}
			return "stream management is not offered on this stream"
		},
		Advertise: func(m *Machine, b *bytes.Buffer) {
			b.WriteString("<sm xmlns='" + NSSM + "'/>")
		},
		Requests:  []Request{{NSSM, "enable"}, {NSSM, "resume"}, {NSSM, "r"}, {NSSM, "a"}},
		Negotiate: func(m *Machine, el *etree.Element, _ string) { m.onSM(el) },
	}
}

// SMEnabled reports whether XEP-0198 is on, and the count of stanzas
// received since it was enabled (modulo 2^32).
func (m *Machine) SMEnabled() (bool, uint32) { return m.smOn, m.smIn }

func (m *Machine) smFailed(cond string) {
	m.send([]byte("<failed xmlns='" + NSSM + "'><" + cond + " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"))
}

func (m *Machine) onSM(el *etree.Element) {
	switch el.Tag {
	case "enable":
		if m.facts&Bound == 0 || m.smOn {
			m.smFailed("unexpected-request")
			return
		}
		resume := m.cfg.SM.Resume
		if v := el.SelectAttrValue("resume", ""); v != "true" && v != "1" {
			resume = false
		}
		m.smOn, m.smIn = true, 0
		var b bytes.Buffer
		b.WriteString("<enabled xmlns='" + NSSM + "'")
		id := ""
		if resume {
			id = m.newID()
			b.WriteString(" id='" + id + "' resume='true' max='" + strconv.Itoa(m.cfg.SM.MaxResume) + "'")
		}
		b.WriteString("/>")
		m.flush()
		m.actions = append(m.actions, Action{Kind: EnableSM, Data: b.Bytes(), ID: id})
	case "resume":
		h, err := strconv.ParseUint(el.SelectAttrValue("h", ""), 10, 32)
		id := el.SelectAttrValue("previd", "")
		switch {
		case m.facts&Bound != 0:
			m.smFailed("unexpected-request")
		case err != nil || id == "":
			m.smFailed("bad-request")
		case !m.cfg.SM.Resume:
			m.smFailed("item-not-found")
		default:
			m.flush()
			m.actions = append(m.actions, Action{Kind: ResumeSM, ID: id, H: uint32(h), JID: m.auth.user + "@" + m.cfg.Domain})
		}
	case "r":
		if m.smOn {
			m.send([]byte("<a xmlns='" + NSSM + "' h='" + strconv.FormatUint(uint64(m.smIn), 10) + "'/>"))
		}
	case "a":
		if !m.smOn {
			return
		}
		h, err := strconv.ParseUint(el.SelectAttrValue("h", ""), 10, 32)
		if err != nil {
			m.fail(stream.Errorf(stream.UndefinedCondition, "<a/> without a valid h"))
			return
		}
		m.flush()
		m.actions = append(m.actions, Action{Kind: AckedSM, H: uint32(h)})
	}
}

// onResumed takes the connection's answer to a ResumeSM action.
func (m *Machine) onResumed(ev ResumeEvent) {
	if ev.JID == "" {
		m.send([]byte("<failed xmlns='" + NSSM + "' h='0'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>"))
		return
	}
	// The connection has written <resumed/> and what was unacknowledged.
	m.jid = ev.JID
	m.facts |= Bound
	m.tls = nil // as at bind
	m.smOn, m.smIn = true, ev.In
}
