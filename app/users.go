package app

import (
	"errors"
	"fmt"

	"jabberd/accounts"
	"jabberd/store"
)

// Users administers the accounts of a store: what `jabberd users` does,
// on the store directly while no server runs, or in the server through
// its control socket. Each method returns the sentence to show the person.
type Users struct {
	DB *store.DB
	// Opt is how credentials are made (auth.scram_iterations,
	// auth.legacy_digest).
	Opt    accounts.Options
	Domain string
	// AutoRoster makes a new account everyone's contact (chat.auto_roster).
	AutoRoster bool
	// ConfigFile names the configuration in refusals ("" when unknown).
	ConfigFile string
	// Deleted, when set, is told the bare JID of an account that was
	// deleted (the running server forgets what it remembers of it).
	Deleted func(jid string)
	// DeleteArchive, when set, queues the deletion of an account's
	// archive with the running archive (else the store deletes it).
	DeleteArchive func(jid string)
}

// Check says, before a password is asked for, whether cmd ("add",
// "passwd", "del") may act on the account name: it exists (or, for add,
// does not), and the configuration does not manage it. It returns the
// prepared name.
func (u Users) Check(cmd, name string) (string, error) {
	prepared, err := accounts.PrepareUsername(name)
	if err != nil {
		return "", err
	}
	a, err := u.DB.Lookup(prepared)
	switch {
	case cmd == "add" && err == nil:
		return "", fmt.Errorf("the account %q already exists (\"jabberd users passwd %s\" changes its password)", prepared, prepared)
	case cmd == "add" && errors.Is(err, accounts.ErrNotFound):
		return prepared, nil
	case errors.Is(err, accounts.ErrNotFound):
		return "", fmt.Errorf("no account %q (\"jabberd users list\" shows the accounts)", prepared)
	case err != nil:
		return "", err
	case a.Configured:
		return "", u.managed(cmd, prepared)
	}
	return prepared, nil
}

// managed is the refusal for an account the configuration manages.
func (u Users) managed(cmd, name string) error {
	file := "the configuration file"
	if u.ConfigFile != "" {
		file = u.ConfigFile
	}
	if cmd == "del" {
		return fmt.Errorf("the account %q is managed by the configuration ([[user]] %q in %s): remove it there and reload (\"jabberd reload\"); it then stays in the store, and \"jabberd users del %s\" deletes it", name, name, file, name)
	}
	return fmt.Errorf("the account %q is managed by the configuration ([[user]] %q in %s): change its password there and reload (\"jabberd reload\"); a change made here would be undone at the next start", name, name, file)
}

// Add creates an account with password.
func (u Users) Add(name, password string) (string, error) {
	prepared, err := u.Check("add", name)
	if err != nil {
		return "", err
	}
	a, err := accounts.NewAccount(prepared, password, u.Opt)
	if err != nil {
		return "", fmt.Errorf("user %q: %w", prepared, err)
	}
	if err := u.DB.CreateAccount(a); errors.Is(err, store.ErrExists) {
		return "", fmt.Errorf("the account %q already exists (\"jabberd users passwd %s\" changes its password)", prepared, prepared)
	} else if err != nil {
		return "", err
	}
	if u.AutoRoster {
		if err := mutualRosters(u.DB, u.Domain, prepared); err != nil {
			return "", fmt.Errorf("chat.auto_roster: %w", err)
		}
	}
	if prepared != name {
		return fmt.Sprintf("added %s (from %q)", prepared, name), nil
	}
	return "added " + prepared, nil
}

// Passwd sets an account's password.
func (u Users) Passwd(name, password string) (string, error) {
	prepared, err := u.Check("passwd", name)
	if err != nil {
		return "", err
	}
	a, err := u.DB.Lookup(prepared)
	if err != nil {
		return "", err
	}
	if err := a.SetPassword(password, u.Opt); err != nil {
		return "", fmt.Errorf("user %q: %w", prepared, err)
	}
	if !u.Opt.KeepPassword {
		a.Password = "" // the digest is off: drop a password kept from when it was on
	}
	if err := u.DB.PutAccount(a); err != nil {
		return "", err
	}
	return "changed the password of " + prepared, nil
}

// Del deletes an account with its roster, offline messages, blocklist,
// vCard and message archive, and its place in other rosters (a new account of the same name
// must not inherit subscriptions).
func (u Users) Del(name string) (string, error) {
	prepared, err := u.Check("del", name)
	if err != nil {
		return "", err
	}
	if err := u.DB.DeleteAccount(prepared); err != nil {
		return "", err
	}
	if err := u.DB.ForgetContact(prepared + "@" + u.Domain); err != nil {
		return "", err
	}
	jid := prepared + "@" + u.Domain
	if u.Deleted != nil {
		u.Deleted(jid)
	}
	// The running archive deletes it behind the entries it has queued,
	// which would otherwise make it again for a new account of the name.
	if u.DeleteArchive != nil {
		u.DeleteArchive(jid)
	} else if err := u.DB.DeleteArchive(jid); err != nil {
		return "", err
	}
	return "deleted " + prepared + ", with its roster, offline messages, message archive and its place in other rosters", nil
}

// List returns the account names, sorted.
func (u Users) List() ([]string, error) { return u.DB.ListAccounts() }
