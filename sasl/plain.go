package sasl

import (
	"bytes"
	"errors"
	"strings"

	"jabberd/accounts"
)

// Plain is the PLAIN mechanism (RFC 4616) against an account store.
type Plain struct{ Accounts accounts.Store }

// Name implements Mechanism.
func (Plain) Name() string { return "PLAIN" }

// Start implements Mechanism.
func (p Plain) Start(c *Context) Session { return &plainSession{store: p.Accounts, ctx: c} }

type plainSession struct {
	store   accounts.Store
	ctx     *Context
	asked   bool
	who     Identity
	success bool
}

func (s *plainSession) Next(data []byte) ([]byte, bool, error) {
	if data == nil {
		if s.asked {
			return nil, true, Fail(MalformedRequest, "PLAIN needs authzid, user name and password in one message")
		}
		// No initial response: an empty challenge asks for it.
		s.asked = true
		return []byte{}, false, nil
	}
	parts := bytes.Split(data, []byte{0})
	if len(parts) != 3 {
		return nil, true, Fail(MalformedRequest, "PLAIN message must be authzid NUL user NUL password")
	}
	authzid, authcid, password := string(parts[0]), string(parts[1]), string(parts[2])
	name, err := accounts.PrepareUsername(authcid)
	if err != nil {
		return nil, true, Fail(NotAuthorized, "the user name is not valid")
	}
	acct, err := s.store.Lookup(name)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		// The same answer, and the same time, as a wrong password: do not
		// reveal which names exist.
		accounts.CheckUnknown(password)
		return nil, true, Fail(NotAuthorized, "wrong user name or password")
	case err != nil:
		return nil, true, Fail(TemporaryAuthFailure, "the account store is unavailable")
	}
	if !acct.CheckPassword(password) {
		return nil, true, Fail(NotAuthorized, "wrong user name or password")
	}
	if acct.Disabled {
		return nil, true, Fail(AccountDisabled, "this account is disabled")
	}
	if authzid != "" && !sameBareJID(authzid, name, s.ctx.Domain) {
		return nil, true, Fail(InvalidAuthzid, "PLAIN may only authorize as the authenticated user %s@%s", name, s.ctx.Domain)
	}
	// The store's name for the account, which is not always the name the
	// client gave (the lab's +profile tag is not part of it).
	s.who = Identity{Username: acct.Name}
	s.success = true
	return nil, true, nil
}

func (s *plainSession) Identity() Identity  { return s.who }
func (s *plainSession) SuccessData() []byte { return nil }

// sameBareJID reports whether jid is name@domain (local part prepared,
// domain compared without case).
func sameBareJID(jid, name, domain string) bool {
	local, dom, ok := strings.Cut(jid, "@")
	if !ok || strings.Contains(dom, "/") || !strings.EqualFold(dom, domain) {
		return false
	}
	p, err := accounts.PrepareUsername(local)
	return err == nil && p == name
}
