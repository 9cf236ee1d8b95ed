package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/starttls"
)

// Reloadable are the keys a reload applies to the running server; every
// other key that changed waits for a restart, and the log says which.
var Reloadable = []string{
	"user",
	"tls.cert", "tls.key", "tls.client_cas", "tls.client_certs", "tls.min_version",
	"lab.client_choice", "lab.slow_handshake_delay",
	"log.level",
	"memory.gc_percent", "memory.limit", "memory.min_headroom",
}

// ReloadReport is what a reload did.
type ReloadReport struct {
	// Applied are the changed keys now in force; Restart the changed keys
	// that need a restart (the running server keeps their old values).
	Applied, Restart []string
}

// String says it in a sentence or two.
func (r ReloadReport) String() string {
	var b strings.Builder
	if len(r.Applied) == 0 {
		b.WriteString("reloaded: accounts and certificates checked again; no reloadable setting changed")
	} else {
		b.WriteString("reloaded: applied " + strings.Join(r.Applied, ", ") + " (accounts and certificates checked again)")
	}
	if len(r.Restart) > 0 {
		b.WriteString("\nchanged, but only a restart applies them (the server keeps the old values): " + strings.Join(r.Restart, ", "))
	}
	return b.String()
}

// reloadState serializes reloads and remembers the last one.
type reloadState struct {
	mu      sync.Mutex
	count   int
	success time.Time
	lastErr string
}

func (r *reloadState) lastSuccess() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.success
}

// Reload applies next to the running server without dropping a
// connection: the configured accounts (created, passwords set, released),
// the server certificate and key (the generated one is checked and
// reissued as at start-up), the client CAs and TLS settings, the lab's
// client choice and TLS (fault certificates made anew), the log level.
// Handshakes that start after it use the new certificates; established
// sessions go on. Keys that need a restart are reported, not applied. On
// error nothing is applied but what is transactional and done (none
// before the TLS side is built).
func (set *Setup) Reload(next *config.Config) (ReloadReport, error) {
	set.reload.mu.Lock()
	defer set.reload.mu.Unlock()
	rep, err := set.reloadLocked(next)
	if err != nil {
		set.reload.lastErr = err.Error()
		set.log.Error().Err(err).Msg("reload failed: the running configuration is unchanged")
		return rep, err
	}
	set.reload.count++
	set.reload.success, set.reload.lastErr = time.Now(), ""
	ev := set.log.Info().Strs("applied", rep.Applied)
	if len(rep.Restart) > 0 {
		set.log.Warn().Strs("keys", rep.Restart).Msg("these settings changed but need a restart to apply (listen addresses, state_dir and the others named); the server keeps their old values")
	}
	ev.Msg("configuration reloaded")
	return rep, nil
}

func (set *Setup) reloadLocked(next *config.Config) (ReloadReport, error) {
	if err := next.Validate(); err != nil {
		return ReloadReport{}, fmt.Errorf("invalid settings: %w", err)
	}
	if err := CheckProfiles(next); err != nil {
		return ReloadReport{}, err
	}
	next = withProfilePorts(next, profilePorts(next))
	var rep ReloadReport
	for _, k := range config.Changed(set.asked, next) {
		if slices.Contains(Reloadable, k) {
			rep.Applied = append(rep.Applied, k)
		} else {
			rep.Restart = append(rep.Restart, k)
		}
	}
	eff := reloadable(set.running.Load(), next)
	built, err := set.buildTLS(eff)
	if err != nil {
		return rep, err
	}
	if err := SyncAccounts(set.Store, eff, set.log); err != nil {
		return rep, err
	}
	set.applyTLS(eff, built)
	if set.LogLevel != nil {
		set.LogLevel(eff.Log.Level)
	}
	if set.Memory {
		ApplyMemory(eff.Memory, set.log)
	}
	asked := *set.asked
	asked.Users, asked.TLS, asked.Lab, asked.Log, asked.Memory = eff.Users, eff.TLS, eff.Lab, eff.Log, eff.Memory
	set.asked = &asked
	set.running.Store(eff)
	return rep, nil
}

// reloadable is running with the reloadable keys of next.
func reloadable(running, next *config.Config) *config.Config {
	eff := *running
	eff.Users = slices.Clone(next.Users)
	eff.TLS.Cert, eff.TLS.Key = next.TLS.Cert, next.TLS.Key
	eff.TLS.ClientCAs = slices.Clone(next.TLS.ClientCAs)
	eff.TLS.ClientCerts, eff.TLS.MinVersion = next.TLS.ClientCerts, next.TLS.MinVersion
	eff.Lab.ClientChoice, eff.Lab.SlowHandshakeDelay = next.Lab.ClientChoice, next.Lab.SlowHandshakeDelay
	eff.Log.Level = next.Log.Level
	eff.Memory = next.Memory
	return &eff
}

// builtTLS is the TLS side of a reload, built before anything is applied.
type builtTLS struct {
	roots  *x509.CertPool
	base   *tls.Config
	labTLS *lab.TLS
	cert   string // the file the server certificate came from
}

// buildTLS prepares the state directory again (a client certificate for a
// new user, a server certificate reissued when due), loads the server
// certificate and the client CAs, and builds the configurations.
func (set *Setup) buildTLS(eff *config.Config) (builtTLS, error) {
	st, names, err := stateFromConfig(eff)
	if err != nil {
		return builtTLS{}, err
	}
	probe := &Setup{State: st}
	cert, err := probe.serverCertificate(eff)
	if err != nil {
		return builtTLS{}, err
	}
	roots, err := clientRoots(eff.TLS.ClientCAs, st.CA.Cert)
	if err != nil {
		return builtTLS{}, err
	}
	base, err := starttls.ServerConfig(cert, starttls.Settings{MinVersion: eff.TLS.MinVersion, ClientCerts: eff.TLS.ClientCerts}, set.lt.verify)
	if err != nil {
		return builtTLS{}, err
	}
	labTLS, err := labTLSFromConfig(eff, base, st, names)
	if err != nil {
		return builtTLS{}, err
	}
	set.State = st
	return builtTLS{roots: roots, base: base, labTLS: labTLS, cert: probe.ServerCert}, nil
}

// applyTLS puts what buildTLS made in force: the client CAs first, so that
// no handshake with the new certificate verifies against the old CAs.
func (set *Setup) applyTLS(eff *config.Config, b builtTLS) {
	set.lt.roots.Store(b.roots)
	// Replace fails only for a configuration without exactly one
	// certificate, which ServerConfig never makes.
	_ = set.lt.upgrade.Replace(b.base)
	_ = set.lt.direct.Replace(starttls.WithALPN(b.base, "xmpp-client"))
	set.lt.base = b.base
	if err := set.lt.upgrade.Ready(); err != nil {
		set.log.Warn().Err(err).Msg("STARTTLS requests will be refused until the server certificate is replaced")
	}
	set.Server.SetLab(eff.Lab.ClientChoice, b.labTLS)
	if set.IRC != nil {
		set.IRC.SetLab(eff.Lab.ClientChoice, b.labTLS)
	}
	set.tagged.Store(eff.Lab.ClientChoice)
	leaf := set.lt.upgrade.Certificate()
	set.log.Info().Str("file", b.cert).Str("subject", leaf.Subject.String()).Time("not_after", leaf.NotAfter).
		Msg("server certificate in force for new handshakes")
}
