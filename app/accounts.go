package app

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/auth/external"
	"jabberd/config"
	"jabberd/lab"
	"jabberd/negotiation"
	"jabberd/sasl"
	"jabberd/store"
)

// storeAndAccounts opens the store and the account view logins read; the
// switch it returns is [lab] client_choice for that view (a reload flips it).
func storeAndAccounts(cfg *config.Config, log zerolog.Logger) (*store.DB, accounts.Store, *atomic.Bool, error) {
	db, err := openStore(cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	db.SetAccountCache(cfg.Auth.AccountCacheSize)
	// Logins (PLAIN, XEP-0078, IRC PLAIN) read accounts through the
	// password cache; registration, provisioning and seeding use db itself.
	accts := accounts.Cached(db, accounts.NewPasswordCache(cfg.Auth.PasswordCacheTTL.Duration, cfg.Auth.PasswordCacheSize))
	// With client choice, alice+strip-starttls logs in as alice.
	t := taggable{plain: accts, tagged: lab.TaggedAccounts{Store: accts}, on: new(atomic.Bool)}
	t.on.Store(cfg.Lab.ClientChoice)
	return db, t, t.on, nil
}

// taggable reads a +profile tag off a username while on is set.
type taggable struct {
	plain  accounts.Store
	tagged lab.TaggedAccounts
	on     *atomic.Bool
}

// Lookup implements accounts.Store.
func (t taggable) Lookup(name string) (*accounts.Account, error) {
	if t.on.Load() {
		return t.tagged.Lookup(name)
	}
	return t.plain.Lookup(name)
}

// openStore opens the database in the state directory and brings the
// configured users into it (SyncAccounts).
func openStore(cfg *config.Config, log zerolog.Logger) (*store.DB, error) {
	db, err := store.Open(store.Path(cfg.StateDir))
	if err != nil {
		return nil, err
	}
	if err := SyncAccounts(db, cfg, log); err != nil {
		db.Close()
		return nil, err
	}
	if cfg.Chat.AutoRoster {
		if err := mutualRosters(db, cfg.Domain, ""); err != nil {
			db.Close()
			return nil, fmt.Errorf("chat.auto_roster: %w", err)
		}
	}
	return db, nil
}

// SyncAccounts applies the rule for accounts, at start-up and on reload:
// the configuration manages the accounts its [[user]] entries name
// (created, or their password set, as written there), and `jabberd users`
// manages the others. It logs what it did, and warns when the
// configuration names no account, saying what follows.
func SyncAccounts(db *store.DB, cfg *config.Config, log zerolog.Logger) error {
	users := make([]accounts.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = accounts.User{Name: u.Name, Password: u.Password}
	}
	r, err := db.SyncUsers(users, accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest})
	if err != nil {
		return fmt.Errorf("configured users: %w", err)
	}
	all, err := db.ListAccounts()
	if err != nil {
		return err
	}
	logSync(log, r, len(cfg.Users), len(all))
	return nil
}

// logSync says what SyncAccounts did: one line with the counts, one per
// kind of change naming the accounts.
func logSync(log zerolog.Logger, r store.Sync, configured, total int) {
	log.Info().Int("configured", configured).Int("in_store", total).Int("created", len(r.Created)).Int("password_set", len(r.Changed)).
		Int("unchanged", len(r.Unchanged)).Msg("accounts: the configuration manages its [[user]] entries; jabberd users manages the others")
	if len(r.Created) > 0 {
		log.Info().Strs("users", r.Created).Msg("accounts created from the configuration")
	}
	if len(r.Changed) > 0 {
		log.Info().Strs("users", r.Changed).Msg("passwords set from the configuration")
	}
	if len(r.TakenOver) > 0 {
		log.Warn().Strs("users", r.TakenOver).Msg("accounts made with jabberd users are now managed by the configuration: its [[user]] password applies, and jabberd users passwd and del refuse them")
	}
	if len(r.Released) > 0 {
		log.Warn().Strs("users", r.Released).Msg("accounts no longer in the configuration are kept in the store with their passwords, managed with jabberd users from now on (jabberd users del NAME deletes one)")
	}
	switch {
	case configured == 0 && total == 0:
		log.Warn().Msg("no accounts: the configuration has no [[user]] and the store none, so nobody can log in and no client certificate is made; add [[user]] entries, or run jabberd users add NAME")
	case configured == 0:
		log.Warn().Int("in_store", total).Msg("the configuration has no [[user]]: no client certificate is made, and only the accounts in the store (jabberd users list) can log in")
	}
}

// mutualRosters makes accounts mutual contacts with subscription both (the
// auto_roster lab switch): every pair, or with only set, the pairs that
// include that one account (a new registration).
func mutualRosters(db *store.DB, domain, only string) error {
	names, err := db.ListAccounts()
	if err != nil {
		return err
	}
	for _, a := range names {
		for _, b := range names {
			if a == b || (only != "" && a != only && b != only) {
				continue
			}
			_, _, _, err := db.UpdateRosterItem(a, b+"@"+domain, func(it store.RosterItem, found bool) (store.RosterItem, bool) {
				if !found {
					it = store.RosterItem{JID: b + "@" + domain}
				}
				it.Subscription, it.Ask, it.Hidden = store.SubBoth, false, false
				it.PendingIn, it.PendingInStanza = false, nil
				return it, true
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// authFromConfig builds the mechanisms in configured order and the
// certificate-to-account mapper over the account store.
func authFromConfig(cfg *config.Config, store accounts.Store) (*negotiation.Auth, *external.Mapper, error) {
	policy, err := external.ParsePolicy(cfg.Auth.ExternalIdentity)
	if err != nil {
		return nil, nil, fmt.Errorf("auth.external_identity: %w", err)
	}
	mapper := &external.Mapper{Domain: cfg.Domain, Policy: policy, Accounts: store, AutoProvision: cfg.Auth.ExternalAutoProvision}
	auth := &negotiation.Auth{
		Accounts:       store,
		AllowPlaintext: cfg.Auth.InsecureAllowPasswordsWithoutTLS,
		MaxFailures:    cfg.Auth.MaxFailures,
		Digest:         cfg.Auth.LegacyDigest,
	}
	for _, name := range cfg.Auth.Mechanisms {
		switch name {
		case "EXTERNAL":
			auth.Mechanisms = append(auth.Mechanisms, sasl.External{})
		case "PLAIN":
			auth.Mechanisms = append(auth.Mechanisms, sasl.Plain{Accounts: store})
		case "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS":
			hash := strings.TrimSuffix(strings.TrimPrefix(name, "SCRAM-"), "-PLUS")
			auth.Mechanisms = append(auth.Mechanisms, sasl.SCRAM{Hash: hash, Plus: strings.HasSuffix(name, "-PLUS"), Accounts: store, Iterations: cfg.Auth.ScramIterations})
		default:
			return nil, nil, fmt.Errorf("auth.mechanisms: %q is not implemented", name)
		}
	}
	return auth, mapper, nil
}

// registrar creates accounts for XEP-0077 in-band registration.
func registrar(cfg *config.Config, db *store.DB) func(name, password string) error {
	create := accountCreator(cfg, db)
	return func(name, password string) error {
		created, err := create(name, password, accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest})
		if err == nil && !created {
			return negotiation.ErrAccountExists
		}
		return err
	}
}

// provisioner creates, on its first EXTERNAL login, the account of a
// certificate identity that has none: an account without a password, so
// that messages, rosters and offline storage work for it like for others.
func provisioner(cfg *config.Config, db *store.DB) func(name string) error {
	create := accountCreator(cfg, db)
	return func(name string) error {
		_, err := create(name, "", accounts.Options{Iterations: cfg.Auth.ScramIterations})
		return err
	}
}

// accountCreator returns a function that creates an account unless it
// exists (created false), with mutual rosters under chat.auto_roster. The
// store checks and creates in one transaction.
func accountCreator(cfg *config.Config, db *store.DB) func(name, password string, opt accounts.Options) (bool, error) {
	return func(name, password string, opt accounts.Options) (bool, error) {
		if _, err := db.Lookup(name); err == nil {
			return false, nil // no key derivation for a name that is taken
		}
		a, err := accounts.NewAccount(name, password, opt)
		if err != nil {
			return false, err
		}
		if err := db.CreateAccount(a); errors.Is(err, store.ErrExists) {
			return false, nil
		} else if err != nil {
			return false, err
		}
		if cfg.Chat.AutoRoster {
			return true, mutualRosters(db, cfg.Domain, name)
		}
		return true, nil
	}
}
