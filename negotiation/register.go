package negotiation

import (
	"bytes"
	"errors"

	"github.com/beevik/etree"

	"jabberd/accounts"
	"jabberd/stanza"
	"jabberd/stream"
)

// Namespaces of XEP-0077 in-band registration.
const (
	NSRegister        = "jabber:iq:register"
	NSRegisterFeature = "http://jabber.org/features/iq-register"
)

// ErrAccountExists is returned by Auth.Register for a name that is taken.
var ErrAccountExists = errors.New("the account exists")

// register is XEP-0077 in-band registration before authentication, only
// when the configuration enables it and only over TLS: a password must not
// cross a plaintext stream.
func register() *Feature {
	return &Feature{
		Name:    "register",
		Needs:   Secure,
		Forbids: Authenticated,
		Available: func(m *Machine) bool {
			return m.cfg.Auth != nil && m.cfg.Auth.Register != nil
		},
		Refuse: func(m *Machine, el *etree.Element, _ string) {
			switch {
			case m.cfg.Auth == nil || m.cfg.Auth.Register == nil:
				m.replyError(el, stanza.ErrServiceUnavailable.WithText("in-band registration is not enabled on this server"))
			case m.facts&Secure == 0:
				m.replyError(el, stanza.ErrNotAllowed.WithText("register over TLS: use STARTTLS first"))
			default:
				m.replyError(el, stanza.ErrNotAllowed.WithText("already authenticated"))
			}
		},
		Refusal: func(*Machine) string { return "in-band registration is not available" },
		Advertise: func(_ *Machine, b *bytes.Buffer) {
			b.WriteString("<register xmlns='" + NSRegisterFeature + "'/>")
		},
		Matches: func(el *etree.Element, space string) bool {
			return space == stream.NSClient && iqChild(el, NSRegister, "query") != nil
		},
		Negotiate: func(m *Machine, el *etree.Element, _ string) { m.onRegister(el) },
	}
}

func (m *Machine) onRegister(el *etree.Element) {
	q := iqChild(el, NSRegister, "query")
	switch el.SelectAttrValue("type", "") {
	case "get":
		r := resultFor(el)
		rq := r.CreateElement("query")
		rq.CreateAttr("xmlns", NSRegister)
		rq.CreateElement("instructions").SetText("Choose a user name and password for " + m.cfg.Domain + ".")
		rq.CreateElement("username")
		rq.CreateElement("password")
		m.sendElement(r)
	case "set":
		if m.auth.registered {
			// One account per stream: a loop of registrations on one
			// connection would cost two key derivations each.
			m.replyError(el, stanza.ErrNotAllowed.WithText("one registration per connection"))
			return
		}
		username, password := childText(q, "username"), childText(q, "password")
		if username == "" || password == "" {
			m.replyError(el, stanza.ErrNotAcceptable.WithText("username and password are both required"))
			return
		}
		name, err := accounts.PrepareUsername(username)
		if err != nil {
			m.replyError(el, stanza.ErrNotAcceptable.WithText("the username is not valid"))
			return
		}
		switch err := m.cfg.Auth.Register(name, password); {
		case errors.Is(err, ErrAccountExists):
			m.replyError(el, stanza.ErrConflict.WithText("the username is taken"))
		case err != nil:
			// The reason is the server's to log, not the client's to read.
			m.replyError(el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error", Text: "the account could not be created"})
			m.flush()
			m.actions = append(m.actions, Action{Kind: LoginFailed, Mechanism: "register", Reason: err.Error()})
		default:
			m.auth.registered = true
			m.sendElement(resultFor(el))
			m.flush()
			m.actions = append(m.actions, Action{Kind: Registered, JID: name + "@" + m.cfg.Domain})
		}
	default:
		m.replyError(el, stanza.ErrBadRequest.WithText("jabber:iq:register takes type get or set"))
	}
}
