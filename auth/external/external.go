// Package external maps a verified client certificate to the accounts it may
// log in as with SASL EXTERNAL (XEP-0178): id-on-xmppAddr first, then, if the
// policy allows, the email SAN or the subject CN.
package external

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"jabberd/accounts"
	"jabberd/certs"
)

// Policy says which certificate fields name an identity.
type Policy string

// The policies. xmppAddr is always used; the fallbacks only when the
// certificate holds no xmppAddr at all.
const (
	XMPPAddr      Policy = "xmppaddr"
	XMPPAddrEmail Policy = "xmppaddr+email"
	XMPPAddrCN    Policy = "xmppaddr+cn"
)

// ParsePolicy checks a configured policy name.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case XMPPAddr, XMPPAddrEmail, XMPPAddrCN:
		return p, nil
	}
	return "", fmt.Errorf("%q is not one of xmppaddr, xmppaddr+email, xmppaddr+cn", s)
}

// Mapper turns certificates into account names.
type Mapper struct {
	Domain   string
	Policy   Policy
	Accounts accounts.Store
	// AutoProvision accepts an identity of this domain that has no account
	// yet (the server creates the account, without a password, when the
	// identity logs in with EXTERNAL).
	AutoProvision bool
}

// Result is what a certificate maps to, with the reasons identities were
// dropped (for the log: a tester wants to know why EXTERNAL was not offered).
type Result struct {
	Usernames []string
	Dropped   []string
}

// Identities returns the accounts leaf may authenticate as. The chain must
// already have been verified against the client CAs.
func (m *Mapper) Identities(leaf *x509.Certificate) (Result, error) {
	var res Result
	jids, err := certs.XMPPAddrs(leaf)
	if err != nil {
		return res, fmt.Errorf("read xmppAddr from the client certificate: %w", err)
	}
	source := "xmppAddr"
	if len(jids) == 0 {
		switch m.Policy {
		case XMPPAddrEmail:
			jids, source = leaf.EmailAddresses, "email"
		case XMPPAddrCN:
			if leaf.Subject.CommonName != "" {
				jids, source = []string{leaf.Subject.CommonName}, "CN"
			}
		}
	}
	if len(jids) == 0 {
		res.Dropped = append(res.Dropped, fmt.Sprintf("no identity in the certificate under policy %s", m.Policy))
		return res, nil
	}
	seen := map[string]bool{}
	for _, jid := range jids {
		name, err := m.accept(jid)
		if err != nil {
			res.Dropped = append(res.Dropped, fmt.Sprintf("%s %q: %v", source, jid, err))
			continue
		}
		if !seen[name] {
			seen[name] = true
			res.Usernames = append(res.Usernames, name)
		}
	}
	return res, nil
}

// accept checks one identity: a bare JID of this domain naming an account.
func (m *Mapper) accept(jid string) (string, error) {
	local, domain, ok := strings.Cut(jid, "@")
	if !ok || local == "" {
		return "", errors.New("not a bare JID user@domain")
	}
	if strings.Contains(domain, "/") {
		return "", errors.New("a full JID; identities are bare JIDs")
	}
	if !strings.EqualFold(domain, m.Domain) {
		return "", fmt.Errorf("belongs to domain %s, not %s", domain, m.Domain)
	}
	name, err := accounts.PrepareUsername(local)
	if err != nil {
		return "", err
	}
	if _, err := m.Accounts.Lookup(name); err != nil {
		if errors.Is(err, accounts.ErrNotFound) && m.AutoProvision {
			return name, nil
		}
		return "", fmt.Errorf("no account %q", name)
	}
	return name, nil
}
