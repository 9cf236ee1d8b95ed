package app

import (
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/auth/external"
	"jabberd/config"
	"jabberd/lab"
	"jabberd/negotiation"
	"jabberd/sasl"
	"jabberd/store"
)

// storeAndAccounts opens the store and the account view logins read.
func storeAndAccounts(cfg *config.Config, log zerolog.Logger) (*store.DB, accounts.Store, error) {
	db, err := openStore(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	// Logins (PLAIN, XEP-0078, IRC PLAIN) read accounts through the
	// password cache; registration, provisioning and seeding use db itself.
	accts := accounts.Cached(db, accounts.NewPasswordCache(cfg.Auth.PasswordCacheTTL.Duration, cfg.Auth.PasswordCacheSize))
	if cfg.Lab.ClientChoice {
		// alice+strip-starttls logs in as alice.
		accts = lab.TaggedAccounts{Store: accts}
	}
	return db, accts, nil
}

// openStore opens the database in the state directory and seeds the
// configured users into it: the configuration wins on conflict.
func openStore(cfg *config.Config, log zerolog.Logger) (*store.DB, error) {
	db, err := store.Open(store.Path(cfg.StateDir))
	if err != nil {
		return nil, err
	}
	users := make([]accounts.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = accounts.User{Name: u.Name, Password: u.Password}
	}
	changed, err := db.SeedUsers(users, accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("seed configured users: %w", err)
	}
	if len(changed) > 0 {
		log.Info().Strs("users", changed).Msg("configured users written to the store")
	}
	if cfg.Chat.AutoRoster {
		if err := mutualRosters(db, cfg.Domain, ""); err != nil {
			db.Close()
			return nil, fmt.Errorf("chat.auto_roster: %w", err)
		}
	}
	return db, nil
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
// exists (created false), with mutual rosters under chat.auto_roster.
// Lookup and put must not interleave for one name: one lock serializes them.
func accountCreator(cfg *config.Config, db *store.DB) func(name, password string, opt accounts.Options) (bool, error) {
	var mu sync.Mutex
	return func(name, password string, opt accounts.Options) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := db.Lookup(name); err == nil {
			return false, nil
		}
		a, err := accounts.NewAccount(name, password, opt)
		if err != nil {
			return false, err
		}
		if err := db.PutAccount(a); err != nil {
			return false, err
		}
		if cfg.Chat.AutoRoster {
			return true, mutualRosters(db, cfg.Domain, name)
		}
		return true, nil
	}
}
