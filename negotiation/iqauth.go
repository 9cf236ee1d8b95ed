package negotiation

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/beevik/etree"

	"jabberd/accounts"
	"jabberd/sasl"
	"jabberd/stanza"
	"jabberd/stream"
)

// NSIQAuth is jabber:iq:auth: session start after XEP-0034 SASL, and the
// XEP-0078 non-SASL login of pre-SASL clients.
const NSIQAuth = "jabber:iq:auth"

// iqAuth is the legacy session start. On a stream whose header declared
// XEP-0034's namespace it only starts the session of the SASL-authenticated
// user; on a legacy stream that declared neither, it is XEP-0078 login.
func iqAuth() *Feature {
	return &Feature{
		Name:        "iq-auth",
		Credentials: true,
		Forbids:     Bound,
		Available:   func(m *Machine) bool { return m.dialect == Legacy && m.cfg.Auth != nil },
		Refusal:     func(*Machine) string { return "jabber:iq:auth is only available on legacy (version-less) streams" },
		Matches: func(el *etree.Element, space string) bool {
			return space == "jabber:client" && iqChild(el, NSIQAuth, "query") != nil
		},
		Negotiate: func(m *Machine, el *etree.Element, _ string) { m.onIQAuth(el) },
	}
}

// saslStream reports whether the client's header asked for XEP-0034 SASL.
func (m *Machine) saslStream() bool { return m.decls.Declares(sasl.NSLegacy) }

func (m *Machine) onIQAuth(el *etree.Element) {
	q := iqChild(el, NSIQAuth, "query")
	switch el.SelectAttrValue("type", "") {
	case "get":
		m.iqAuthGet(el, q)
	case "set":
		m.iqAuthSet(el, q)
	default:
		m.replyError(el, stanza.ErrBadRequest.WithText("jabber:iq:auth takes type get or set"))
	}
}

// passwordAllowed: a password may cross this stream.
func (m *Machine) passwordAllowed() bool {
	return m.facts&Secure != 0 || m.cfg.Auth.AllowPlaintext
}

func (m *Machine) iqAuthGet(el, q *etree.Element) {
	r := resultFor(el)
	rq := r.CreateElement("query")
	rq.CreateAttr("xmlns", NSIQAuth)
	switch {
	case m.facts&Authenticated != 0:
		rq.CreateElement("username").SetText(m.auth.user)
		rq.CreateElement("resource")
	case m.saslStream():
		m.replyError(el, stanza.ErrNotAuthorized.WithText("authenticate with SASL before starting a session"))
		return
	default:
		if !m.passwordAllowed() && !m.baitActive() {
			m.replyError(el, stanza.ErrNotAuthorized.WithText("use STARTTLS before logging in with a password"))
			return
		}
		rq.CreateElement("username").SetText(childText(q, "username"))
		rq.CreateElement("password")
		if m.cfg.Auth.Digest {
			rq.CreateElement("digest")
		}
		rq.CreateElement("resource")
	}
	m.sendElement(r)
}

func (m *Machine) iqAuthSet(el, q *etree.Element) {
	username, resource := childText(q, "username"), childText(q, "resource")
	if username == "" || resource == "" {
		m.replyError(el, stanza.ErrNotAcceptable.WithText("username and resource are both required"))
		return
	}
	name, err := accounts.PrepareUsername(username)
	if err != nil {
		m.replyError(el, stanza.ErrNotAcceptable.WithText("the username is not valid"))
		return
	}
	res, err := accounts.PrepareResource(resource)
	if err != nil {
		m.replyError(el, stanza.ErrNotAcceptable.WithText("the resource is not valid"))
		return
	}
	switch {
	case m.facts&Authenticated != 0:
		if name != m.auth.user && !m.sameAccount(name) {
			m.replyError(el, stanza.ErrNotAuthorized.WithText("the session must be started for the authenticated user"))
			return
		}
	case m.saslStream():
		m.replyError(el, stanza.ErrNotAuthorized.WithText("authenticate with SASL before starting a session"))
		return
	default:
		if !m.nonSASLLogin(el, q, name) {
			return
		}
	}
	m.bind(res) // in the router before the client reads the result
	m.sendElement(resultFor(el))
}

// nonSASLLogin checks XEP-0078 credentials; false means it answered.
func (m *Machine) nonSASLLogin(el, q *etree.Element, name string) bool {
	password, digest := childText(q, "password"), strings.ToLower(childText(q, "digest"))
	method := "password"
	if q.SelectElement("digest") != nil && digest != "" {
		method = "digest"
	}
	m.auth.mechanism = "jabber:iq:auth/" + method
	if m.baitActive() {
		// The lab's bait: never checked, and not counted as a failure.
		m.flush()
		m.actions = append(m.actions, Action{Kind: LoginFailed, Mechanism: m.auth.mechanism, Reason: "not-authorized: credentials sent without TLS (lab profile)"})
		m.replyError(el, stanza.ErrNotAuthorized.WithText("credentials sent without TLS are never checked here (lab profile); use STARTTLS"))
		return false
	}
	fail := func(text string) bool {
		m.auth.failures++
		m.flush()
		m.actions = append(m.actions, Action{Kind: LoginFailed, Mechanism: m.auth.mechanism, Reason: "not-authorized: " + text})
		m.replyError(el, stanza.ErrNotAuthorized.WithText(text))
		if m.auth.failures >= m.maxFailures() {
			m.fail(streamErrTooMany(m.auth.failures))
		}
		return false
	}
	acct, err := m.cfg.Auth.Accounts.Lookup(name)
	if err != nil && !errors.Is(err, accounts.ErrNotFound) {
		m.replyError(el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error", Text: "the account store is unavailable"})
		return false
	}
	switch method {
	case "digest":
		if !m.cfg.Auth.Digest {
			return fail("digest login is not enabled on this server")
		}
		// SHA-1 of a stream id and a password is cracked offline by
		// whoever watched it: a password mechanism like any other.
		if !m.passwordAllowed() {
			return fail("use STARTTLS before logging in with a password")
		}
		if acct == nil || acct.Password == "" {
			return fail("wrong username or password")
		}
		sum := sha1.Sum([]byte(m.streamID + acct.Password))
		if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(digest)) != 1 {
			return fail("wrong username or password")
		}
	default:
		if !m.passwordAllowed() {
			return fail("use STARTTLS before logging in with a password")
		}
		if acct == nil {
			accounts.CheckUnknown(password) // as long as for a real name
			return fail("wrong username or password")
		}
		if !acct.CheckPassword(password) {
			return fail("wrong username or password")
		}
	}
	if acct.Disabled {
		return fail("this account is disabled")
	}
	// The store's name: the lab's +profile tag in a username is not part
	// of the account.
	m.auth.user = acct.Name
	m.facts |= Authenticated
	m.flush()
	m.actions = append(m.actions, Action{Kind: LoggedIn, JID: acct.Name + "@" + m.cfg.Domain, Mechanism: m.auth.mechanism})
	return true
}

// bind makes the stream a session for resource.
func (m *Machine) bind(resource string) {
	m.jid = m.auth.user + "@" + m.cfg.Domain + "/" + resource
	m.facts |= Bound
	m.tls = nil // only SASL reads it: a session lets its channel-binding state go
	m.flush()
	m.actions = append(m.actions, Action{Kind: Bind, JID: m.jid})
}

func resultFor(el *etree.Element) *etree.Element {
	r := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		r.CreateAttr("id", id.Value)
	}
	r.CreateAttr("type", "result")
	return r
}

func childText(el *etree.Element, tag string) string {
	if el == nil {
		return ""
	}
	if c := el.SelectElement(tag); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

func streamErrTooMany(n int) *stream.Error {
	return stream.Errorf(stream.PolicyViolation, "too many failed authentication attempts (%d)", n)
}

// sameAccount reports whether name is the authenticated account under
// another spelling the store knows (the lab's alice+profile is alice).
func (m *Machine) sameAccount(name string) bool {
	acct, err := m.cfg.Auth.Accounts.Lookup(name)
	return err == nil && acct.Name == m.auth.user
}
