package store

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/xdg-go/scram"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"jabberd/accounts"
)

// accountRecord is an account as stored. It is separate from
// accounts.Account so that the file format changes only on purpose.
type accountRecord struct {
	Name   string       `json:"name"`
	SHA1   *scramRecord `json:"scram_sha1,omitempty"`
	SHA256 *scramRecord `json:"scram_sha256,omitempty"`
	// Password is present only when the XEP-0078 digest is enabled.
	Password string `json:"password,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// scramRecord is one hash's SCRAM credentials (RFC 5802 §3).
type scramRecord struct {
	Salt       []byte `json:"salt"`
	Iterations int    `json:"iterations"`
	StoredKey  []byte `json:"stored_key"`
	ServerKey  []byte `json:"server_key"`
}

func toScramRecord(c scram.StoredCredentials) *scramRecord {
	if len(c.StoredKey) == 0 {
		return nil // no password set (a certificate-only account)
	}
	return &scramRecord{Salt: []byte(c.Salt), Iterations: c.Iters, StoredKey: c.StoredKey, ServerKey: c.ServerKey}
}

func (r *scramRecord) credentials() scram.StoredCredentials {
	if r == nil {
		return scram.StoredCredentials{}
	}
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(r.Salt), Iters: r.Iterations},
		StoredKey:  r.StoredKey,
		ServerKey:  r.ServerKey,
	}
}

func encodeAccount(a *accounts.Account) ([]byte, error) {
	return json.Marshal(accountRecord{
		Name:     a.Name,
		SHA1:     toScramRecord(a.SHA1),
		SHA256:   toScramRecord(a.SHA256),
		Password: a.Password,
		Disabled: a.Disabled,
	})
}

func decodeAccount(name string, v []byte) (*accounts.Account, error) {
	var r accountRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("account %q: damaged record: %w", name, err)
	}
	return &accounts.Account{
		Name:     name, // the key is authoritative
		SHA1:     r.SHA1.credentials(),
		SHA256:   r.SHA256.credentials(),
		Password: r.Password,
		Disabled: r.Disabled,
	}, nil
}

// Lookup implements accounts.Store: the account of a prepared name, or
// accounts.ErrNotFound. Each call returns a fresh copy.
func (db *DB) Lookup(name string) (*accounts.Account, error) {
	var a *accounts.Account
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		a, err = getAccount(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func getAccount(tx *bolt.Tx, name string) (*accounts.Account, error) {
	v := tx.Bucket(bucketAccounts).Get([]byte(name))
	if v == nil || name == "" {
		return nil, accounts.ErrNotFound
	}
	return decodeAccount(name, v)
}

// PutAccount creates or replaces an account. Its name must already be
// prepared (accounts.NewAccount does that), so that Lookup finds it.
func (db *DB) PutAccount(a *accounts.Account) error {
	if err := checkPrepared(a.Name); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error { return putAccount(tx, a) })
}

func putAccount(tx *bolt.Tx, a *accounts.Account) error {
	v, err := encodeAccount(a)
	if err != nil {
		return fmt.Errorf("account %q: %w", a.Name, err)
	}
	if err := tx.Bucket(bucketAccounts).Put([]byte(a.Name), v); err != nil {
		return fmt.Errorf("store account %q: %w", a.Name, err)
	}
	return nil
}

func checkPrepared(name string) error {
	p, err := accounts.PrepareUsername(name)
	if err != nil {
		return err
	}
	if p != name {
		return fmt.Errorf("account name %q is not prepared (it would be %q)", name, p)
	}
	return nil
}

// DeleteAccount removes an account together with its roster (which holds
// its pending subscription requests) and its offline messages, in one
// transaction; accounts.ErrNotFound if there is no such account. Other
// accounts' roster items about it are the caller's to handle: the store
// does not know the domain that makes a name a JID.
func (db *DB) DeleteAccount(name string) error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		acc := tx.Bucket(bucketAccounts)
		if name == "" || acc.Get([]byte(name)) == nil {
			return fmt.Errorf("delete account %q: %w", name, accounts.ErrNotFound)
		}
		if err := acc.Delete([]byte(name)); err != nil {
			return fmt.Errorf("delete account %q: %w", name, err)
		}
		for _, top := range [][]byte{bucketRosters, bucketOffline} {
			err := tx.Bucket(top).DeleteBucket([]byte(name))
			if err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return fmt.Errorf("delete account %q: %s: %w", name, top, err)
			}
		}
		return nil
	})
}

// ListAccounts returns every account name, sorted.
func (db *DB) ListAccounts() ([]string, error) {
	var names []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(k, _ []byte) error {
			names = append(names, string(k)) // bbolt iterates in byte order: sorted
			return nil
		})
	})
	return names, err
}

// SeedUsers stores the configured users. An account that is absent, whose
// password differs (checked with CheckPassword, so that unchanged
// credentials are not derived again), whose credentials use another
// iteration count, or whose kept password does not match opt.KeepPassword,
// is (re)derived and stored: the configuration wins. Everything else about
// an existing account (Disabled, its roster, its offline messages) is kept.
// All users are stored in one transaction, or none when one is invalid.
// It returns the prepared names it changed, in configuration order.
func (db *DB) SeedUsers(users []accounts.User, opt accounts.Options) ([]string, error) {
	if opt.Iterations <= 0 {
		opt.Iterations = 4096 // as accounts.NewAccount
	}
	var changed []string
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		seen := map[string]string{}
		for _, u := range users {
			name, err := accounts.PrepareUsername(u.Name)
			if err != nil {
				return fmt.Errorf("user %q: %w", u.Name, err)
			}
			if u.Password == "" {
				return fmt.Errorf("user %q: empty password", u.Name)
			}
			if other, ok := seen[name]; ok {
				return fmt.Errorf("users %q and %q both prepare to the account %q", other, u.Name, name)
			}
			seen[name] = u.Name
			a, err := getAccount(tx, name)
			switch {
			case errors.Is(err, accounts.ErrNotFound):
				a = &accounts.Account{Name: name}
			case err != nil:
				return err
			case upToDate(a, u.Password, opt):
				continue
			}
			if err := a.SetPassword(u.Password, opt); err != nil {
				return fmt.Errorf("user %q: %w", u.Name, err)
			}
			if !opt.KeepPassword {
				a.Password = "" // the digest was turned off: do not keep it any longer
			}
			if err := putAccount(tx, a); err != nil {
				return err
			}
			changed = append(changed, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// upToDate reports whether a stored account already matches a configured
// password under opt.
func upToDate(a *accounts.Account, password string, opt accounts.Options) bool {
	if a.SHA1.Iters != opt.Iterations || a.SHA256.Iters != opt.Iterations || len(a.SHA1.StoredKey) == 0 {
		return false
	}
	if !a.CheckPassword(password) {
		return false
	}
	if !opt.KeepPassword {
		return a.Password == ""
	}
	pw, err := accounts.PreparePassword(password)
	return err == nil && a.Password == pw
}
