package lab

import "jabberd/accounts"

// TaggedAccounts lets a client log in with a profile tag in its username:
// "alice+strip-starttls" is looked up as the account alice, which is then
// the identity (the mechanisms take the account's own name). A tag that
// names no profile is part of the name, so "bob+work" is its own account.
type TaggedAccounts struct{ accounts.Store }

// Lookup implements accounts.Store.
func (t TaggedAccounts) Lookup(name string) (*accounts.Account, error) {
	if _, base, ok := FromUsername(name); ok {
		name = base
	}
	return t.Store.Lookup(name)
}
