package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

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
	// Configured: the configuration's [[user]] manages the account.
	Configured bool `json:"configured,omitempty"`
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
		Name:       a.Name,
		SHA1:       toScramRecord(a.SHA1),
		SHA256:     toScramRecord(a.SHA256),
		Password:   a.Password,
		Disabled:   a.Disabled,
		Configured: a.Configured,
	})
}

func decodeAccount(name string, v []byte) (*accounts.Account, error) {
	var r accountRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("account %q: damaged record: %w", name, err)
	}
	return &accounts.Account{
		Name:       name, // the key is authoritative
		SHA1:       r.SHA1.credentials(),
		SHA256:     r.SHA256.credentials(),
		Password:   r.Password,
		Disabled:   r.Disabled,
		Configured: r.Configured,
	}, nil
}

// Lookup implements accounts.Store: the account of a prepared name, or
// accounts.ErrNotFound. Each call returns a fresh copy.
func (db *DB) Lookup(name string) (*accounts.Account, error) {
	a, gen := db.acache.get(name)
	if a != nil {
		return a, nil
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		a, err = getAccount(tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	db.acache.add(a, gen)
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
	defer db.acache.forget(a.Name)
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
// its pending subscription requests), its offline messages, its blocklist
// and its vCard, in one transaction; accounts.ErrNotFound if there is no such account. Other
// accounts' roster items about it are the caller's to handle: the store
// does not know the domain that makes a name a JID.
func (db *DB) DeleteAccount(name string) error {
	// Forgotten before, so that no login starting during the write is
	// served the cached account, and after, for a miss that read it
	// meanwhile (gen).
	db.acache.forget(name)
	defer db.acache.forget(name)
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
		if err := deleteBlocklist(tx, name); err != nil {
			return fmt.Errorf("delete account %q: blocklist: %w", name, err)
		}
		if err := deleteVCard(tx, name); err != nil {
			return fmt.Errorf("delete account %q: vcard: %w", name, err)
		}
		if err := deleteNested(tx, bucketPrivate, name); err != nil {
			return fmt.Errorf("delete account %q: private storage: %w", name, err)
		}
		if err := deleteNested(tx, bucketPEP, name); err != nil {
			return fmt.Errorf("delete account %q: pep: %w", name, err)
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

// SeedUsers is SyncUsers reporting only the names it created or changed.
func (db *DB) SeedUsers(users []accounts.User, opt accounts.Options) ([]string, error) {
	r, err := db.SyncUsers(users, opt)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, u := range users {
		name, _ := accounts.PrepareUsername(u.Name)
		if slices.Contains(r.Created, name) || slices.Contains(r.Changed, name) {
			changed = append(changed, name)
		}
	}
	return changed, nil
}

// Sync is what SyncUsers did, each list in configuration (or, for
// Released, name) order.
type Sync struct {
	// Created: accounts that did not exist.
	Created []string
	// Changed: existing accounts whose password (or its stored form:
	// iterations, the digest's kept password) was set from the
	// configuration.
	Changed []string
	// TakenOver: existing accounts that `jabberd users` or registration
	// managed until now; the configuration manages them from now on (an
	// account here whose password differed is in Changed too).
	TakenOver []string
	// Released: accounts the configuration managed and no longer names.
	// They are kept, with their password, and `jabberd users` manages them
	// from now on.
	Released []string
	// Unchanged: configured accounts that already matched.
	Unchanged []string
}

// SyncUsers makes the store agree with the configured users, the
// configuration managing the accounts it names: an account that is absent,
// whose password differs (checked with CheckPassword, so that unchanged
// credentials are not derived again), whose credentials use another
// iteration count, or whose kept password does not match opt.KeepPassword,
// is (re)derived and stored, and marked Configured. Everything else about an
// existing account (Disabled, its roster, its offline messages) is kept. A
// Configured account the configuration no longer names is released: kept,
// unmarked. All of it happens in one transaction, or nothing when a user is
// invalid.
func (db *DB) SyncUsers(users []accounts.User, opt accounts.Options) (Sync, error) {
	if opt.Iterations <= 0 {
		opt.Iterations = 4096 // as accounts.NewAccount
	}
	var r Sync
	defer db.acache.forget() // every account may have changed
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		r = Sync{}
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
			if err := syncUser(tx, name, u.Password, opt, &r); err != nil {
				return fmt.Errorf("user %q: %w", u.Name, err)
			}
		}
		return releaseUnconfigured(tx, seen, &r)
	})
	if err != nil {
		return Sync{}, err
	}
	return r, nil
}

// syncUser makes one configured account agree with its password.
func syncUser(tx *bolt.Tx, name, password string, opt accounts.Options, r *Sync) error {
	a, err := getAccount(tx, name)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		a = &accounts.Account{Name: name}
		r.Created = append(r.Created, name)
	case err != nil:
		return err
	case !a.Configured:
		r.TakenOver = append(r.TakenOver, name)
	}
	fresh := len(r.Created) > 0 && r.Created[len(r.Created)-1] == name
	if !fresh && upToDate(a, password, opt) {
		if a.Configured {
			r.Unchanged = append(r.Unchanged, name)
			return nil
		}
	} else {
		if err := a.SetPassword(password, opt); err != nil {
			return err
		}
		if !opt.KeepPassword {
			a.Password = "" // the digest was turned off: do not keep it any longer
		}
		if !fresh {
			r.Changed = append(r.Changed, name)
		}
	}
	a.Configured = true
	return putAccount(tx, a)
}

// releaseUnconfigured unmarks the Configured accounts not in configured.
func releaseUnconfigured(tx *bolt.Tx, configured map[string]string, r *Sync) error {
	var release []*accounts.Account
	err := tx.Bucket(bucketAccounts).ForEach(func(k, v []byte) error {
		if _, ok := configured[string(k)]; ok {
			return nil
		}
		a, err := decodeAccount(string(k), v)
		if err != nil {
			return err
		}
		if a.Configured {
			release = append(release, a)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range release { // not inside ForEach: bbolt forbids writes while iterating
		a.Configured = false
		if err := putAccount(tx, a); err != nil {
			return err
		}
		r.Released = append(r.Released, a.Name)
	}
	return nil
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

// ErrExists says an account of that name exists already.
var ErrExists = errors.New("the account exists already")

// CreateAccount stores a new account, in one transaction with the check
// that none of its name exists (ErrExists), so that two creators (a
// `jabberd users add` and an in-band registration) cannot overwrite each
// other.
func (db *DB) CreateAccount(a *accounts.Account) error {
	if err := checkPrepared(a.Name); err != nil {
		return err
	}
	defer db.acache.forget(a.Name)
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketAccounts).Get([]byte(a.Name)) != nil {
			return fmt.Errorf("account %q: %w", a.Name, ErrExists)
		}
		return putAccount(tx, a)
	})
}
