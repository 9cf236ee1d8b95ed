package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"jabberd/sasl"
	"jabberd/tlspolicy"
)

// Validate checks every value and names the key of each bad one. Lab
// profile names are not checked here: the lab knows them
// (app.CheckProfiles).
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	// In the order of the keys' tables, which is the order of the errors.
	for _, step := range []func(badFunc){
		c.validateServer,
		c.validateListeners,
		c.validateTLS,
		c.validateAuth,
		c.validateChat,
		c.validateLimits,
		c.validateMemory,
		c.validatePasswordCache,
		c.validateIRC,
		c.validateMUC,
		c.validateUpload,
		c.validatePEP,
		c.validateLab,
		c.validateLog,
		c.validateUsers,
	} {
		step(bad)
	}
	return errors.Join(errs...)
}

// badFunc records that the value at key is bad, saying why.
type badFunc func(key, format string, args ...any)

// validateServer checks the domain and the state directory.
func (c *Config) validateServer(bad badFunc) {
	if c.Domain == "" || strings.ContainsAny(c.Domain, "@/ ") {
		bad("domain", "%q is not a domain name", c.Domain)
	}
	if c.StateDir == "" {
		bad("state_dir", "must not be empty")
	}
}

// validateListeners checks the [[listen]] entries.
func (c *Config) validateListeners(bad badFunc) {
	if len(c.Listen) == 0 {
		bad("listen", "at least one [[listen]] entry is needed")
	}
	for i, l := range c.Listen {
		key := fmt.Sprintf("listen[%d]", i)
		if l.Address == "" {
			bad(key+".address", "must not be empty")
		}
		switch l.TLS {
		case tlspolicy.Required, tlspolicy.Optional, tlspolicy.Disabled, tlspolicy.Direct:
		default:
			bad(key+".tls", "%q is not one of required, optional, disabled, direct", l.TLS)
		}
	}
}

// validateTLS checks the [tls] table.
func (c *Config) validateTLS(bad badFunc) {
	t := c.TLS
	if (t.Cert == "") != (t.Key == "") {
		bad("tls.cert", "tls.cert and tls.key go together: give both, or neither for a generated certificate")
	}
	switch t.ClientCerts {
	case tlspolicy.ClientCertNone, tlspolicy.ClientCertRequest, tlspolicy.ClientCertRequire:
	default:
		bad("tls.client_certs", "%q is not one of none, request, require", t.ClientCerts)
	}
	switch t.MinVersion {
	case "1.2", "1.3":
	default:
		bad("tls.min_version", "%q is not one of \"1.2\", \"1.3\"", t.MinVersion)
	}
	switch t.KeyType {
	case "ecdsa-p256", "rsa-2048", "rsa-4096":
	default:
		bad("tls.key_type", "%q is not one of ecdsa-p256, rsa-2048, rsa-4096", t.KeyType)
	}
}

// validateAuth checks the [auth] table but for the password cache
// (validatePasswordCache).
func (c *Config) validateAuth(bad badFunc) {
	a := c.Auth
	known := strings.Join(sasl.KnownMechanisms, ", ")
	if len(a.Mechanisms) == 0 {
		bad("auth.mechanisms", "at least one mechanism is needed (%s)", known)
	}
	for i, m := range a.Mechanisms {
		if !slices.Contains(sasl.KnownMechanisms, m) {
			bad(fmt.Sprintf("auth.mechanisms[%d]", i), "%q is not one of %s", m, known)
		}
	}
	if a.MaxFailures < 1 {
		bad("auth.max_failures", "must be at least 1")
	}
	switch a.ExternalIdentity {
	case "xmppaddr", "xmppaddr+email", "xmppaddr+cn":
	default:
		bad("auth.external_identity", "%q is not one of xmppaddr, xmppaddr+email, xmppaddr+cn", a.ExternalIdentity)
	}
	if a.ScramIterations < 4096 {
		bad("auth.scram_iterations", "%d is below the minimum of 4096 (RFC 7677)", a.ScramIterations)
	}
}

// validateChat checks the [chat] table.
func (c *Config) validateChat(bad badFunc) {
	ch := c.Chat
	if ch.SMResumeTimeout.Duration < 0 {
		bad("chat.sm_resume_timeout", "must not be negative (0 means no resumption)")
	}
	for _, k := range []struct {
		key string
		v   int
	}{
		{"chat.sm_max_unacked", ch.SMMaxUnacked},
		{"chat.max_blocklist_items", ch.MaxBlocklistItems},
		{"chat.blocklist_cache", ch.BlocklistCache},
		{"chat.vcard_max_bytes", ch.VCardMaxBytes},
		{"chat.private_max_bytes", ch.PrivateMaxBytes},
		{"chat.vcard_photo_cache", ch.VCardPhotoCache},
		{"chat.archive_max_messages", ch.ArchiveMaxMessages},
		{"chat.archive_max_page", ch.ArchiveMaxPage},
		{"chat.archive_max_prefs_jids", ch.ArchiveMaxPrefsJIDs},
	} {
		if k.v < 1 {
			bad(k.key, "must be at least 1")
		}
	}
	if ch.ArchiveRetention.Duration < 0 {
		bad("chat.archive_retention", "must not be negative (0 keeps messages until archive_max_messages)")
	}
	if ch.CSIMaxHeld < 0 {
		bad("chat.csi_max_held", "must not be negative (0 does not offer client state indication)")
	}
	if ch.OfflineQuota < 0 {
		bad("chat.offline_quota", "must not be negative (0 means no limit)")
	}
}

// validateLimits checks the [limits] table.
func (c *Config) validateLimits(bad badFunc) {
	l := c.Limits
	if l.MaxStanzaBytes < 1024 {
		bad("limits.max_stanza_bytes", "%d is below the minimum of 1024", l.MaxStanzaBytes)
	}
	if l.MaxDepth < 4 || l.MaxDepth > 1000 {
		bad("limits.max_depth", "%d is outside 4..1000", l.MaxDepth)
	}
	positive(bad, []keyedDuration{
		{"limits.negotiation_timeout", l.NegotiationTimeout},
		{"limits.handshake_timeout", l.HandshakeTimeout},
		{"limits.idle_timeout", l.IdleTimeout},
		{"limits.shutdown_grace", l.ShutdownGrace},
	})
	if l.MaxConnsPerIP < 0 {
		bad("limits.max_connections_per_ip", "must not be negative (0 means no limit)")
	}
	if l.MaxConns < 0 {
		bad("limits.max_connections", "must not be negative (0 means no limit)")
	}
	if l.MaxBytesPerSecond < 0 {
		bad("limits.max_bytes_per_second", "must not be negative (0 means no limit)")
	}
	if l.TCPKeepAlive.Duration < 0 {
		bad("limits.tcp_keepalive", "must not be negative (0 turns TCP keepalive off)")
	}
	if l.MaxBytesPerSecond > 0 && l.MaxBytesBurst < 1 {
		bad("limits.max_bytes_burst", "must be at least 1 while limits.max_bytes_per_second is on")
	}
}

// validatePasswordCache checks auth.password_cache_*. It runs after the
// limits, where these keys have always been reported.
func (c *Config) validatePasswordCache(bad badFunc) {
	if c.Auth.PasswordCacheTTL.Duration < 0 {
		bad("auth.password_cache_ttl", "must not be negative (0 turns the cache off)")
	}
	if c.Auth.PasswordCacheSize < 0 {
		bad("auth.password_cache_size", "must not be negative (0 turns the cache off)")
	}
	if c.Auth.AccountCacheSize < 0 {
		bad("auth.account_cache_size", "must not be negative (0 turns the cache off)")
	}
}

// validateIRC checks the [irc] table. It is checked even when the listener
// is off, so that turning it on cannot reveal an old mistake.
func (c *Config) validateIRC(bad badFunc) {
	i := c.IRC
	if i.Address == "" {
		bad("irc.address", "must not be empty")
	}
	switch i.TLS {
	case tlspolicy.Required, tlspolicy.Optional, tlspolicy.Disabled:
	default:
		bad("irc.tls", "%q is not one of required, optional, disabled", i.TLS)
	}
	if i.Network == "" || strings.ContainsAny(i.Network, " ,:\r\n\x00") {
		bad("irc.network", "%q is not a network name (no spaces, commas or colons)", i.Network)
	}
	positive(bad, []keyedDuration{
		{"irc.registration_timeout", i.RegistrationTimeout},
		{"irc.idle_timeout", i.IdleTimeout},
		{"irc.ping_timeout", i.PingTimeout},
	})
	if i.FloodBurst < 0 {
		bad("irc.flood_burst", "must not be negative (0 turns the flood limit off)")
	}
	if i.FloodBurst > 0 && i.FloodRate < 1 {
		bad("irc.flood_rate", "must be at least 1 line per second while irc.flood_burst is on")
	}
	if i.TLSAddress != "" && i.TLSAddress == i.Address && !strings.HasSuffix(i.Address, ":0") {
		bad("irc.tls_address", "%q is irc.address too: the direct-TLS listener needs a port of its own (6697 is usual)", i.TLSAddress)
	}
	if i.STSPort < 0 || i.STSPort > 65535 {
		bad("irc.sts_port", "%d is not a port (0 turns sts off)", i.STSPort)
	}
	switch d := i.STSDuration.Duration; {
	case d < 0:
		bad("irc.sts_duration", "must not be negative")
	case d%time.Second != 0:
		bad("irc.sts_duration", "%v is not a whole number of seconds (sts=duration= counts seconds)", d)
	}
}

// validateLab checks the [lab] table. The profile names of the listeners
// are the lab's to check (app.CheckProfiles): the configuration does not
// know the profiles.
func (c *Config) validateLab(bad badFunc) {
	l := c.Lab
	if l.Transcripts < 0 {
		bad("lab.transcripts", "must not be negative (0 records no transcripts)")
	}
	if l.TranscriptMaxBytes < 0 {
		bad("lab.transcript_max_bytes", "must not be negative (0 means no bound)")
	}
	if l.TranscriptDir != "" && l.Transcripts == 0 {
		bad("lab.transcript_dir", "needs lab.transcripts above 0 (transcripts are off)")
	}
	if l.SlowHandshakeDelay.Duration < 0 {
		bad("lab.slow_handshake_delay", "must not be negative")
	}
	if d := l.ListenAfterFailure.Duration; d < 0 || d > time.Minute {
		bad("lab.listen_after_failure", "must be between 0 (off) and 1m")
	}
	if l.FallbackWindow.Duration < 0 {
		bad("lab.fallback_window", "must not be negative")
	}
	if p := l.ProfilePorts; p < 0 || p > 65535-200 {
		bad("lab.profile_ports", "must be 0 (off) or a base port up to 65335 (profile i listens on base+i, IRC on base+100+i)")
	}
}

// validateLog checks the [log] table.
func (c *Config) validateLog(bad badFunc) {
	switch c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not one of trace, debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "console", "json":
	default:
		bad("log.format", "%q is not one of console, json", c.Log.Format)
	}
}

// validateUsers checks the [[user]] entries: valid names, each once, with
// a password.
func (c *Config) validateUsers(bad badFunc) {
	seen := map[string]bool{}
	for i, u := range c.Users {
		key := fmt.Sprintf("user[%d]", i)
		if err := CheckUserName(u.Name); err != nil {
			bad(key+".name", "%v", err)
		}
		if u.Password == "" {
			bad(key+".password", "must not be empty")
		}
		if seen[u.Name] {
			bad(key+".name", "%q is defined twice", u.Name)
		}
		seen[u.Name] = true
	}
}

// keyedDuration is a duration with the key it was configured under.
type keyedDuration struct {
	key string
	d   Duration
}

// positive reports each of ds that is not a positive duration.
func positive(bad badFunc, ds []keyedDuration) {
	for _, d := range ds {
		if d.d.Duration <= 0 {
			bad(d.key, "must be a positive duration")
		}
	}
}

// CheckUserName refuses names that cannot be the local part of a JID or a
// file name in the state directory.
func CheckUserName(name string) error {
	if name == "" {
		return errors.New("user name must not be empty")
	}
	if strings.ContainsAny(name, "@/\\\"&'<>: \t\r\n") || name == "." || name == ".." {
		return fmt.Errorf("%q is not a valid user name (no spaces, @ / \\ \" & ' < > :)", name)
	}
	return nil
}
