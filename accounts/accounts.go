// Package accounts holds the server's user accounts: names prepared with
// PRECIS and salted SCRAM credentials, never the password itself unless a
// legacy digest login explicitly needs it.
package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/xdg-go/scram"
)

// ErrNotFound is returned by Lookup for a name with no account.
var ErrNotFound = errors.New("no such account")

// Account is one user. Credentials are per hash, as SCRAM needs them.
type Account struct {
	Name   string // PRECIS-prepared local part
	SHA1   scram.StoredCredentials
	SHA256 scram.StoredCredentials
	// Password is kept only when the XEP-0078 digest login is enabled: that
	// mechanism hashes the stream id with the password itself, so nothing
	// derived can stand in for it.
	Password string
	// Disabled accounts exist but may not log in (account-disabled).
	Disabled bool
	// Configured: a [[user]] of the configuration manages the account. Its
	// password is set from there at every start and reload, and `jabberd
	// users passwd` and `del` refuse it, pointing at the file.
	Configured bool

	// cache, set by a Cached store's Lookup, remembers verified passwords.
	cache *PasswordCache
}

// HasCredentials reports whether a password was ever set (an account made
// for certificate login only has none).
func (a *Account) HasCredentials() bool { return len(a.SHA256.StoredKey) > 0 }

// Store is what authentication needs from an account database.
type Store interface {
	// Lookup finds an account by its prepared name; ErrNotFound if absent.
	Lookup(name string) (*Account, error)
}

// Options govern how credentials are made.
type Options struct {
	Iterations   int  // PBKDF2 iterations for SCRAM (RFC 7677 recommends ≥ 4096)
	KeepPassword bool // keep the password form (XEP-0078 digest)
}

// NewAccount prepares name and derives credentials for password.
func NewAccount(name, password string, opt Options) (*Account, error) {
	prepared, err := PrepareUsername(name)
	if err != nil {
		return nil, err
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 4096
	}
	a := &Account{Name: prepared}
	if password == "" {
		return a, nil
	}
	if err := a.SetPassword(password, opt); err != nil {
		return nil, err
	}
	return a, nil
}

// SetPassword derives fresh salted credentials for both hashes.
func (a *Account) SetPassword(password string, opt Options) error {
	pw, err := PreparePassword(password)
	if err != nil {
		return err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fmt.Errorf("salt: %w", err)
	}
	kf := scram.KeyFactors{Salt: string(salt), Iters: opt.Iterations}
	if a.SHA1, err = derive(scram.SHA1, pw, kf); err != nil {
		return err
	}
	if a.SHA256, err = derive(scram.SHA256, pw, kf); err != nil {
		return err
	}
	if opt.KeepPassword {
		a.Password = pw
	}
	return nil
}

func derive(h scram.HashGeneratorFcn, password string, kf scram.KeyFactors) (scram.StoredCredentials, error) {
	// The prepared password is passed unprepped: PreparePassword already
	// applied PRECIS OpaqueString, which is what SCRAM clients do too.
	c, err := h.NewClientUnprepped("", password, "")
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	return c.GetStoredCredentialsWithError(kf)
}

// CheckPassword reports whether password matches, by deriving the SCRAM
// StoredKey and comparing in constant time — or, for an account from a
// Cached store, from the password cache when this password was verified
// against these credentials recently.
func (a *Account) CheckPassword(password string) bool {
	if a.cache != nil {
		return a.cache.Check(a, password)
	}
	return a.checkPassword(password)
}

// derivations counts checkPassword calls, so that tests can tell a cache
// hit (none) from a miss (one); one atomic add next to a PBKDF2 is free.
var derivations atomic.Int64

// checkPassword is the derivation itself.
func (a *Account) checkPassword(password string) bool {
	derivations.Add(1)
	if !a.HasCredentials() {
		return false
	}
	pw, err := PreparePassword(password)
	if err != nil {
		return false
	}
	got, err := derive(scram.SHA256, pw, a.SHA256.KeyFactors)
	if err != nil {
		return false
	}
	return hmac.Equal(got.StoredKey, a.SHA256.StoredKey)
}

// Credentials returns the stored SCRAM credentials for a hash name
// ("SHA-1" or "SHA-256").
func (a *Account) Credentials(hashName string) (scram.StoredCredentials, bool) {
	switch hashName {
	case "SHA-1":
		return a.SHA1, len(a.SHA1.StoredKey) > 0
	case "SHA-256":
		return a.SHA256, len(a.SHA256.StoredKey) > 0
	}
	return scram.StoredCredentials{}, false
}
