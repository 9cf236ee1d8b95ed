package app

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"jabberd/certs"
	"jabberd/config"
	"jabberd/store"
)

// ExpiryWarning is how close to its end a certificate gets a warning
// from Check.
const ExpiryWarning = 30 * 24 * time.Hour

// LabPasswords are the passwords the README and the embedded default
// publish.
var LabPasswords = []string{"alice-lab-password", "bob-lab-password"}

// Check looks at a valid configuration for what an admin should know
// before running it (`jabberd check`): the files it names are read, and
// each finding is a sentence. accounts is the number of accounts in the
// store (-1 when unknown). An error means the server would not start.
func Check(cfg *config.Config, accounts int) (warnings []string, err error) {
	if err := CheckProfiles(cfg); err != nil {
		return nil, err
	}
	if cfg.TLS.Cert != "" {
		if _, err := certs.Load(cfg.TLS.Cert, cfg.TLS.Key); err != nil {
			return nil, fmt.Errorf("tls.cert: %w", err)
		}
	}
	for _, f := range cfg.TLS.ClientCAs {
		if len(readCerts(f)) == 0 {
			return nil, fmt.Errorf("tls.client_cas: %s holds no readable PEM certificate", f)
		}
	}
	w := func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }
	checkAccounts(cfg, accounts, w)
	if cfg.Auth.InsecureAllowPasswordsWithoutTLS {
		w("auth.insecure_allow_passwords_without_tls is on: passwords may cross the network in the clear")
	}
	if a := cfg.Lab.StatusAddress; a != "" && !loopback(a) {
		w("lab.status_address %s is reachable from other hosts: the status page shows who connected and what they sent (secrets redacted), and /metrics; keep it on 127.0.0.1", a)
	}
	checkExposure(cfg, w)
	checkExpiry(cfg, time.Now(), w)
	checkFileLimit(cfg, w)
	return warnings, nil
}

func checkAccounts(cfg *config.Config, accounts int, w func(string, ...any)) {
	if len(cfg.Users) > 0 {
		return
	}
	switch {
	case accounts == 0:
		w("no accounts: no [[user]] in the configuration and none in the store, so nobody can log in and no client certificate is made (add [[user]] entries, or run jabberd users add NAME)")
	case accounts > 0:
		w("no [[user]] in the configuration: no client certificate is made; the %d accounts in the store (jabberd users list) can log in", accounts)
	default:
		w("no [[user]] in the configuration: no client certificate is made, and only accounts made with jabberd users add can log in")
	}
}

// checkExposure warns about lab settings on listeners other hosts reach.
func checkExposure(cfg *config.Config, w func(string, ...any)) {
	var exposed []string
	for _, l := range cfg.Listen {
		if !loopback(l.Address) {
			exposed = append(exposed, l.Address)
		}
	}
	if cfg.IRC.Enabled && !loopback(cfg.IRC.Address) {
		exposed = append(exposed, cfg.IRC.Address)
	}
	if len(exposed) == 0 {
		return
	}
	for _, u := range cfg.Users {
		if slices.Contains(LabPasswords, u.Password) {
			w("user %q has a lab password the README publishes, and %v accept other hosts: change it", u.Name, exposed)
		}
	}
	if cfg.Lab.ClientChoice {
		w("lab.client_choice is on and %v accept other hosts: any client can ask for a misbehaving lab profile (fine for a lab, not for a chat server)", exposed)
	}
}

// checkExpiry warns about certificates that end within ExpiryWarning: the
// configured server certificate, or the generated one when it exists (it
// is reissued at start-up only within a day of its end), the lab CA and
// the client CAs.
func checkExpiry(cfg *config.Config, now time.Time, w func(string, ...any)) {
	files := []string{filepath.Join(cfg.StateDir, certs.CACertFile)}
	if cfg.TLS.Cert != "" {
		files = append(files, cfg.TLS.Cert)
	} else {
		files = append(files, filepath.Join(cfg.StateDir, certs.ServerCertFile))
	}
	files = append(files, cfg.TLS.ClientCAs...)
	for _, f := range files {
		for _, c := range readCerts(f) {
			switch left := c.NotAfter.Sub(now); {
			case left <= 0:
				w("%s (%s) expired on %s", f, c.Subject, c.NotAfter.UTC().Format(time.DateOnly))
			case left < ExpiryWarning:
				w("%s (%s) expires on %s, in %d days", f, c.Subject, c.NotAfter.UTC().Format(time.DateOnly), int(left.Hours()/24))
			}
		}
	}
}

// checkFileLimit compares the open-file limit with what max_connections
// needs: one descriptor per connection and pool, and some to spare. Where
// the limit cannot be read (openFileLimit: not a Unix system), it says so.
func checkFileLimit(cfg *config.Config, w func(string, ...any)) {
	cur, ok := openFileLimit()
	if !ok {
		w("the open-file limit cannot be checked on %s: make sure it allows one file per connection and listener pool (limits.max_connections = %d), plus some to spare",
			runtime.GOOS, cfg.Limits.MaxConns)
		return
	}
	pools := 1
	if cfg.IRC.Enabled {
		pools = 2
	}
	if cfg.Limits.MaxConns == 0 {
		w("limits.max_connections = 0 (no limit): connections are bounded only by the open-file limit, %d here", cur)
		return
	}
	need := uint64(cfg.Limits.MaxConns*pools + 64)
	if cur < need {
		w("the open-file limit is %d, below the %d that limits.max_connections = %d needs (per pool: XMPP%s, plus some to spare): raise it (ulimit -n, LimitNOFILE= in the unit) or lower max_connections",
			cur, need, cfg.Limits.MaxConns, map[bool]string{true: " and IRC", false: ""}[pools == 2])
	}
}

// loopback reports an address whose host is a loopback address or
// "localhost"; an empty host (every interface) is not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Loopback reports whether every XMPP and IRC listener of cfg is on a
// loopback address (for the banner).
func Loopback(cfg *config.Config) bool {
	for _, l := range cfg.Listen {
		if !loopback(l.Address) {
			return false
		}
	}
	return !cfg.IRC.Enabled || loopback(cfg.IRC.Address)
}

// CountAccounts counts the accounts of the store in stateDir without
// creating it: 0 without a database, -1 when it cannot be read (a running
// server holds it).
func CountAccounts(stateDir string) int {
	path := store.Path(stateDir)
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	db, err := store.Open(path)
	if err != nil {
		return -1
	}
	defer db.Close()
	names, err := db.ListAccounts()
	if err != nil {
		return -1
	}
	return len(names)
}
