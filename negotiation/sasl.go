package negotiation

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/beevik/etree"

	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/stream"
	"jabberd/tlspolicy"
)

// authState is the SASL exchange in progress and its history.
type authState struct {
	session    sasl.Session
	mechanism  string
	profile    sasl.Profile
	failures   int    // failed attempts that checked a credential
	mismatches int    // failed attempts that did not (channel binding)
	user       string // the authenticated account (prepared local part)
	registered bool   // an account was created in band on this stream
}

// saslFeature is SASL in both wire profiles: RFC 6120 §6 on version='1.0'
// streams, XEP-0034 on legacy streams whose header declared its namespace.
func saslFeature() *Feature {
	return &Feature{
		Name:        "sasl",
		Credentials: true,
		Forbids:     Authenticated,
		Available:   func(m *Machine) bool { return len(m.mechanisms()) > 0 },
		Refusal:     func(*Machine) string { return "authentication is not available now" },
		Refuse:      refuseSASL,
		Advertise:   advertiseSASL,
		LegacyNS:    sasl.NSLegacy,
		AdvertiseLegacy: func(m *Machine, b *bytes.Buffer, prefix string) {
			sasl.Profile{Legacy: true, Prefix: prefix}.Mechanisms(b, m.advertised(m.mechanisms()))
		},
		Requests: []Request{
			{sasl.NS, "auth"}, {sasl.NS, "response"}, {sasl.NS, "abort"},
			{sasl.NSLegacy, "auth"}, {sasl.NSLegacy, "response"}, {sasl.NSLegacy, "abort"},
		},
		Negotiate: func(m *Machine, el *etree.Element, space string) { m.onSASL(el, space) },
	}
}

// mechanisms lists the mechanisms offered now, in configured order: none
// under a TLS-required policy before TLS, no password mechanism before TLS
// unless explicitly allowed, EXTERNAL only for a certificate that verified
// and maps to an account, -PLUS only with channel-binding data.
func (m *Machine) mechanisms() []string {
	a := m.cfg.Auth
	if a == nil || m.facts&Authenticated != 0 {
		return nil
	}
	secure := m.facts&Secure != 0
	if m.baitActive() {
		return []string{"PLAIN"}
	}
	if !secure && m.cfg.TLS == tlspolicy.Required {
		return nil
	}
	names := make([]string, 0, len(a.Mechanisms))
	for _, mech := range a.Mechanisms {
		name := mech.Name()
		switch {
		case name == "EXTERNAL" && m.beh.ExternalThenFail:
			if m.tls == nil {
				continue
			}
		case name == "EXTERNAL":
			if m.tls == nil || !m.tls.ClientVerified || len(m.tls.ExternalIdentities) == 0 {
				continue
			}
		case strings.HasSuffix(name, "-PLUS"):
			if m.tls == nil || (m.tls.Exporter == nil && m.tls.ServerEndPoint == nil) {
				continue
			}
		default:
			if !secure && !a.AllowPlaintext {
				continue
			}
		}
		names = append(names, name)
	}
	return names
}

// NSChannelBinding is XEP-0440's namespace.
const NSChannelBinding = "urn:xmpp:sasl-cb:0"

// advertiseSASL writes <mechanisms/> and, when -PLUS mechanisms are among
// them, the channel-binding types this connection supports (XEP-0440).
func advertiseSASL(m *Machine, b *bytes.Buffer) {
	names := m.advertised(m.mechanisms())
	sasl.RFC6120.Mechanisms(b, names)
	plus := false
	for _, n := range names {
		plus = plus || strings.HasSuffix(n, "-PLUS")
	}
	if !plus {
		return
	}
	b.WriteString("<sasl-channel-binding xmlns='" + NSChannelBinding + "'>")
	if m.tls.Exporter != nil {
		b.WriteString("<channel-binding type='" + sasl.BindingTLSExporter + "'/>")
	}
	if m.tls.ServerEndPoint != nil {
		b.WriteString("<channel-binding type='" + sasl.BindingTLSServerEndPoint + "'/>")
	}
	b.WriteString("</sasl-channel-binding>")
}

// profileFor picks the wire profile of a request by its namespace. A legacy
// request is valid only if the header declared (and we echoed) the legacy
// namespace; an RFC 6120 request only on a version='1.0' stream.
func (m *Machine) profileFor(space string) (sasl.Profile, bool) {
	if space == sasl.NS {
		return sasl.RFC6120, m.dialect == RFC6120
	}
	p, ok := m.legacyPrefix(sasl.NSLegacy)
	return sasl.Profile{Legacy: true, Prefix: p}, ok && m.dialect == Legacy
}

// refuseSASL answers a SASL request when SASL is not offered.
func refuseSASL(m *Machine, el *etree.Element, space string) {
	p, ok := m.profileFor(space)
	switch {
	case !ok:
		m.fail(stream.Errorf(stream.PolicyViolation, "SASL in namespace %s was not offered on this stream", space))
	case m.facts&Authenticated != 0 && p.Legacy:
		// XEP-0034: after success any new <auth> gets a bare failure.
		p.Failure(&m.out, nil)
	case m.facts&Authenticated != 0:
		m.fail(stream.Errorf(stream.PolicyViolation, "already authenticated"))
	case m.facts&Secure == 0 && m.cfg.Auth != nil:
		p.Failure(&m.out, sasl.Fail(sasl.EncryptionRequired, "use STARTTLS before authenticating"))
	default:
		m.fail(stream.Errorf(stream.PolicyViolation, "authentication is not available on this listener"))
	}
}

func (m *Machine) onSASL(el *etree.Element, space string) {
	p, ok := m.profileFor(space)
	if !ok {
		refuseSASL(m, el, space)
		return
	}
	switch el.Tag {
	case "auth":
		m.startAuth(p, el)
	case "response":
		if m.auth.session == nil {
			m.saslFailed(p, sasl.Fail(sasl.MalformedRequest, "no authentication is in progress"))
			return
		}
		// An empty <response/> is an empty answer, not a missing one.
		if data, ok := m.payload(p, el, []byte{}); ok {
			m.saslStep(p, data)
		}
	case "abort":
		m.auth.session = nil
		p.Failure(&m.out, sasl.Fail(sasl.Aborted, "authentication aborted by the client"))
	}
}

func (m *Machine) startAuth(p sasl.Profile, el *etree.Element) {
	name := el.SelectAttrValue("mechanism", "")
	m.auth.mechanism = name
	m.auth.session = nil
	if !slices.Contains(m.mechanisms(), name) {
		m.saslFailed(p, sasl.Fail(sasl.InvalidMechanism, "mechanism %q is not offered on this stream", name))
		return
	}
	if m.baitActive() {
		// The lab's bait: the credentials crossed the network in the
		// clear, which the transcript flags. They are not checked.
		m.saslFailed(p, &sasl.Failure{Condition: sasl.EncryptionRequired, Text: "credentials sent without TLS are never checked here (lab profile); use STARTTLS", Negotiation: true})
		return
	}
	if name == "EXTERNAL" && m.beh.ExternalThenFail {
		m.saslFailed(p, sasl.Fail(sasl.NotAuthorized, "EXTERNAL refused on purpose (lab profile external-then-fail)"))
		return
	}
	// No text inside <auth/> means no initial response (nil), which the
	// mechanism tells apart from an empty one ("=").
	data, ok := m.payload(p, el, nil)
	if !ok {
		return
	}
	for _, mech := range m.cfg.Auth.Mechanisms {
		if mech.Name() == name {
			m.auth.session = mech.Start(m.saslContext())
		}
	}
	m.saslStep(p, data)
}

// payload decodes the base64 text of <auth/> or <response/>; false means it
// was answered with a failure. An element with no text yields absent.
func (m *Machine) payload(p sasl.Profile, el *etree.Element, absent []byte) ([]byte, bool) {
	data, none, f := sasl.Decode(strings.TrimSpace(el.Text()))
	if f != nil {
		m.saslFailed(p, f)
		return nil, false
	}
	if none {
		return absent, true
	}
	return data, true
}

func (m *Machine) saslContext() *sasl.Context {
	c := &sasl.Context{Domain: m.cfg.Domain, Secure: m.facts&Secure != 0}
	for _, n := range m.mechanisms() {
		c.PlusAdvertised = c.PlusAdvertised || strings.HasSuffix(n, "-PLUS")
	}
	if m.tls != nil {
		if m.tls.ClientVerified {
			c.ExternalIdentities = m.tls.ExternalIdentities
		}
		c.TLSServerEndPoint = m.tls.ServerEndPoint
		if m.tls.Exporter != nil && strings.HasSuffix(m.auth.mechanism, "-PLUS") {
			c.TLSExporter = m.tls.Exporter() // only a -PLUS mechanism binds
		}
	}
	if m.beh.DowngradeProtection {
		c.DowngradeProtection = m.downgradeProtection()
	}
	return c
}

func (m *Machine) saslStep(p sasl.Profile, data []byte) {
	chal, done, err := m.auth.session.Next(data)
	if !done {
		p.Challenge(&m.out, chal)
		m.redactNext()
		return
	}
	sess := m.auth.session
	m.auth.session = nil
	if err != nil {
		var f *sasl.Failure
		if !errors.As(err, &f) {
			f = sasl.Fail(sasl.TemporaryAuthFailure, "authentication could not be completed")
		}
		m.saslFailed(p, f)
		return
	}
	m.auth.user = sess.Identity().Username
	m.facts |= Authenticated
	// The login is reported before the success is written: what the
	// connection does about it (creating an auto-provisioned account) is
	// done before the client can act on the success.
	m.flush()
	m.actions = append(m.actions, Action{Kind: LoggedIn, JID: m.auth.user + "@" + m.cfg.Domain, Mechanism: m.auth.mechanism})
	p.Success(&m.out, m.successData(sess.SuccessData()))
	if m.beh.ExternalWrongIdentity && m.auth.mechanism == "EXTERNAL" {
		// The lab's external-wrong-identity: the certificate's identity
		// logged in (and is logged as such); another one is bound.
		m.auth.user = wire.WrongIdentity
	}
	m.redactNext()
	if !p.Legacy {
		// RFC 6120 §6.4.6: both sides restart the stream after success.
		m.restart()
	}
}

// saslFailed answers a failure and ends the stream after too many.
func (m *Machine) saslFailed(p sasl.Profile, f *sasl.Failure) {
	if f.Negotiation {
		// Mismatches that tried no credential do not count as failed
		// logins, but are bounded too: trying every mechanism twice is
		// more than any client needs.
		m.auth.mismatches++
	} else {
		m.auth.failures++
	}
	m.flush()
	m.actions = append(m.actions, Action{Kind: LoginFailed, Mechanism: m.auth.mechanism, Reason: string(f.Condition) + ": " + f.Text})
	p.Failure(&m.out, f)
	if m.auth.failures >= m.maxFailures() {
		m.fail(streamErrTooMany(m.auth.failures))
	} else if m.auth.mismatches > 2*len(m.cfg.Auth.Mechanisms) {
		m.fail(streamErrTooMany(m.auth.failures + m.auth.mismatches))
	}
}

func (m *Machine) maxFailures() int {
	if m.cfg.Auth == nil || m.cfg.Auth.MaxFailures <= 0 {
		return 3
	}
	return m.cfg.Auth.MaxFailures
}

// restart flushes and asks for a fresh tokenizer: the next event is the
// client's new header.
func (m *Machine) restart() {
	m.state = AwaitHeader
	m.sentOpen = false
	m.flush()
	m.actions = append(m.actions, Action{Kind: Restart})
}

// redactNext marks the output so far as carrying a SASL payload, so that it
// is not logged.
func (m *Machine) redactNext() {
	m.flush()
	if n := len(m.actions); n > 0 && m.actions[n-1].Kind == Send {
		m.actions[n-1].Redact = true
	}
}
