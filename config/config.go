// Package config loads jabberd's TOML configuration, fills in defaults and
// validates every value, so that the rest of the server can trust it. The
// one exception is a lab profile's name, which only the lab can check
// (server.CheckProfiles).
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"jabberd/sasl"
	"jabberd/tlspolicy"
)

// DefaultTOML is the configuration used when no file is given. It is also the
// base every file is decoded onto, so a file only needs the keys it changes.
//
//go:embed default.toml
var DefaultTOML []byte

// Config is the whole server configuration.
type Config struct {
	Domain   string     `toml:"domain"`
	StateDir string     `toml:"state_dir"`
	Listen   []Listener `toml:"listen"`
	TLS      TLS        `toml:"tls"`
	Auth     Auth       `toml:"auth"`
	Chat     Chat       `toml:"chat"`
	Limits   Limits     `toml:"limits"`
	Log      Log        `toml:"log"`
	Users    []User     `toml:"user"`
	IRC      IRC        `toml:"irc"`
	Lab      Lab        `toml:"lab"`
}

// Listener is one [[listen]] entry: a TCP address and its STARTTLS policy.
type Listener struct {
	Address string           `toml:"address"`
	TLS     tlspolicy.Policy `toml:"tls"`
	// Profile is the lab behaviour profile of the listener ("" for the
	// standard behaviour; `jabberd profiles` lists them). The lab checks
	// the name (server.CheckProfiles), not Validate.
	Profile string `toml:"profile"`
}

// TLS holds the server certificate and the client-certificate settings.
type TLS struct {
	// Cert and Key name the server certificate; both empty means "auto":
	// generated into the state directory and signed by the lab CA.
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// ClientCAs are PEM files of CAs that client certificates must chain to.
	// Empty means the state directory's lab CA.
	ClientCAs []string `toml:"client_cas"`
	// ClientCerts decides whether the handshake asks for a client certificate.
	ClientCerts tlspolicy.ClientCertMode `toml:"client_certs"`
	// MinVersion is the lowest TLS version accepted: "1.2" or "1.3".
	MinVersion string `toml:"min_version"`
	// KeyType is the key type of generated certificates.
	KeyType string `toml:"key_type"`
}

// Auth is the authentication policy.
type Auth struct {
	// Mechanisms are the SASL mechanisms offered, in this order (each only
	// where its conditions hold: EXTERNAL with a verified certificate,
	// password mechanisms after TLS).
	Mechanisms []string `toml:"mechanisms"`
	// InsecureAllowPasswordsWithoutTLS offers password authentication on
	// unencrypted streams: passwords then cross the network in the clear.
	InsecureAllowPasswordsWithoutTLS bool `toml:"insecure_allow_passwords_without_tls"`
	// MaxFailures ends a stream after this many failed attempts.
	MaxFailures int `toml:"max_failures"`
	// ExternalIdentity is the certificate-to-account mapping policy:
	// "xmppaddr", "xmppaddr+email" or "xmppaddr+cn".
	ExternalIdentity string `toml:"external_identity"`
	// ExternalAutoProvision lets a certificate identity of this domain log
	// in without an existing account.
	ExternalAutoProvision bool `toml:"external_auto_provision"`
	// LegacyDigest enables the XEP-0078 <digest/> login, which requires the
	// server to store each password itself, in cleartext, in the database.
	LegacyDigest bool `toml:"legacy_digest"`
	// ScramIterations is the PBKDF2 iteration count of stored credentials.
	ScramIterations int `toml:"scram_iterations"`
	// InBandRegistration lets clients create accounts (XEP-0077), only over
	// TLS. Off by default.
	InBandRegistration bool `toml:"in_band_registration"`
	// PasswordCacheTTL is how long a verified password login is remembered
	// (as a keyed MAC, never the password) so that the next login with the
	// same password skips the PBKDF2 derivation; 0 turns the cache off.
	PasswordCacheTTL Duration `toml:"password_cache_ttl"`
	// PasswordCacheSize bounds the accounts remembered (least recently
	// used dropped first); 0 turns the cache off.
	PasswordCacheSize int `toml:"password_cache_size"`
}

// Chat configures the chat server above the streams.
type Chat struct {
	// OfflineQuota is how many messages are kept for an offline user (0:
	// no limit).
	OfflineQuota int `toml:"offline_quota"`
	// AutoRoster makes every local user a mutual contact of every other,
	// for quick lab tests. Off by default.
	AutoRoster bool `toml:"auto_roster"`
}

// Limits bound what one connection may cost.
type Limits struct {
	MaxStanzaBytes     int      `toml:"max_stanza_bytes"`
	MaxDepth           int      `toml:"max_depth"`
	NegotiationTimeout Duration `toml:"negotiation_timeout"`
	HandshakeTimeout   Duration `toml:"handshake_timeout"`
	IdleTimeout        Duration `toml:"idle_timeout"`
	MaxConnsPerIP      int      `toml:"max_connections_per_ip"`
	ShutdownGrace      Duration `toml:"shutdown_grace"`
	// MaxConns bounds open connections on each listener's pool (XMPP, IRC);
	// 0 means no limit.
	MaxConns int `toml:"max_connections"`
	// MaxBytesPerSecond slows each connection's reading to this rate after
	// MaxBytesBurst bytes at once (a token bucket); 0 means no limit.
	MaxBytesPerSecond int `toml:"max_bytes_per_second"`
	MaxBytesBurst     int `toml:"max_bytes_burst"`
}

// IRC is the optional IRC listener with the IRCv3 tls capability
// (STARTTLS). It shares the server certificate, the client CAs and the
// accounts with XMPP; its network is its own (no bridge to XMPP).
type IRC struct {
	Enabled bool   `toml:"enabled"`
	Address string `toml:"address"`
	// TLS is required, optional or disabled; direct TLS is not offered.
	TLS tlspolicy.Policy `toml:"tls"`
	// Network is the name in ISUPPORT NETWORK= and the welcome.
	Network string `toml:"network"`
	// RegistrationTimeout bounds connect to the end of registration.
	RegistrationTimeout Duration `toml:"registration_timeout"`
	// IdleTimeout is the silence after which the server sends PING, and
	// PingTimeout how long the client then has to send anything.
	IdleTimeout Duration `toml:"idle_timeout"`
	PingTimeout Duration `toml:"ping_timeout"`
	// FloodBurst lines may come at once, then FloodRate lines per second;
	// more ends the connection. FloodBurst 0 turns the limit off.
	FloodBurst int `toml:"flood_burst"`
	FloodRate  int `toml:"flood_rate"`
	// Profile is the lab behaviour profile of the IRC listener (checked
	// by server.CheckProfiles, like a listener's).
	Profile string `toml:"profile"`
}

// Lab configures the test-target side: per-connection profile choice,
// transcripts and the status page.
type Lab struct {
	// ClientChoice lets a connection pick its own profile with a +tag in
	// the username it tries or with the TLS SNI; it only ever affects
	// that connection.
	ClientChoice bool `toml:"client_choice"`
	// Transcripts is how many ended connections are kept in memory with
	// their transcripts; 0 records none.
	Transcripts int `toml:"transcripts"`
	// TranscriptDir, when set, receives one JSON-lines file per connection.
	TranscriptDir string `toml:"transcript_dir"`
	// TranscriptMaxBytes bounds what one transcript keeps.
	TranscriptMaxBytes int `toml:"transcript_max_bytes"`
	// StatusAddress is where the status page listens ("" for off).
	StatusAddress string `toml:"status_address"`
	// SlowHandshakeDelay is how long the slow-handshake profile holds
	// the ServerHello.
	SlowHandshakeDelay Duration `toml:"slow_handshake_delay"`
}

// Log selects the log level and output format.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"` // "console" or "json"
}

// User is an account defined in the configuration.
type User struct {
	Name     string `toml:"name"`
	Password string `toml:"password"`
}

// Duration is a time.Duration written as "30s" or "2m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like \"30s\" or \"2m\"", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back in Go syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the embedded default configuration.
func Default() *Config {
	c, err := Parse(nil, "default")
	if err != nil {
		panic("config: embedded default is invalid: " + err.Error()) // a build defect, not input
	}
	return c
}

// Load reads the file at path on top of the defaults.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes data (TOML) on top of the embedded default. name is used in
// error messages. Unknown keys and invalid values are errors naming the key.
func Parse(data []byte, name string) (*Config, error) {
	c := &Config{}
	if _, err := toml.NewDecoder(bytes.NewReader(DefaultTOML)).Decode(c); err != nil {
		return nil, fmt.Errorf("embedded default configuration: %w", err)
	}
	if data != nil { // a file, even an empty one, is not the default
		// The decoder replaces a list the file names rather than appending to
		// the default's. Listeners fall back to the default; the lab accounts
		// never do, so that a real deployment does not inherit them.
		c.Users = nil
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for i := range c.Listen {
			if c.Listen[i].TLS == "" {
				// A [[listen]] table without tls gets the default policy,
				// whatever its position in the list.
				c.Listen[i].TLS = tlspolicy.Optional
			}
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return nil, fmt.Errorf("%s: unknown key %s", name, strings.Join(keys, ", "))
		}
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// Validate checks every value and names the key of each bad one. Lab
// profile names are not checked here: the lab knows them
// (server.CheckProfiles).
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Domain == "" || strings.ContainsAny(c.Domain, "@/ ") {
		bad("domain", "%q is not a domain name", c.Domain)
	}
	if c.StateDir == "" {
		bad("state_dir", "must not be empty")
	}
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
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		bad("tls.cert", "tls.cert and tls.key go together: give both, or neither for a generated certificate")
	}
	switch c.TLS.ClientCerts {
	case tlspolicy.ClientCertNone, tlspolicy.ClientCertRequest, tlspolicy.ClientCertRequire:
	default:
		bad("tls.client_certs", "%q is not one of none, request, require", c.TLS.ClientCerts)
	}
	switch c.TLS.MinVersion {
	case "1.2", "1.3":
	default:
		bad("tls.min_version", "%q is not one of \"1.2\", \"1.3\"", c.TLS.MinVersion)
	}
	switch c.TLS.KeyType {
	case "ecdsa-p256", "rsa-2048", "rsa-4096":
	default:
		bad("tls.key_type", "%q is not one of ecdsa-p256, rsa-2048, rsa-4096", c.TLS.KeyType)
	}
	if len(c.Auth.Mechanisms) == 0 {
		bad("auth.mechanisms", "at least one mechanism is needed (%s)", strings.Join(sasl.KnownMechanisms, ", "))
	}
	for i, m := range c.Auth.Mechanisms {
		if !slices.Contains(sasl.KnownMechanisms, m) {
			bad(fmt.Sprintf("auth.mechanisms[%d]", i), "%q is not one of %s", m, strings.Join(sasl.KnownMechanisms, ", "))
		}
	}
	if c.Auth.MaxFailures < 1 {
		bad("auth.max_failures", "must be at least 1")
	}
	switch c.Auth.ExternalIdentity {
	case "xmppaddr", "xmppaddr+email", "xmppaddr+cn":
	default:
		bad("auth.external_identity", "%q is not one of xmppaddr, xmppaddr+email, xmppaddr+cn", c.Auth.ExternalIdentity)
	}
	if c.Auth.ScramIterations < 4096 {
		bad("auth.scram_iterations", "%d is below the minimum of 4096 (RFC 7677)", c.Auth.ScramIterations)
	}
	if c.Chat.OfflineQuota < 0 {
		bad("chat.offline_quota", "must not be negative (0 means no limit)")
	}
	l := c.Limits
	if l.MaxStanzaBytes < 1024 {
		bad("limits.max_stanza_bytes", "%d is below the minimum of 1024", l.MaxStanzaBytes)
	}
	if l.MaxDepth < 4 || l.MaxDepth > 1000 {
		bad("limits.max_depth", "%d is outside 4..1000", l.MaxDepth)
	}
	for _, d := range []struct {
		key string
		d   Duration
	}{
		{"limits.negotiation_timeout", l.NegotiationTimeout},
		{"limits.handshake_timeout", l.HandshakeTimeout},
		{"limits.idle_timeout", l.IdleTimeout},
		{"limits.shutdown_grace", l.ShutdownGrace},
	} {
		if d.d.Duration <= 0 {
			bad(d.key, "must be a positive duration")
		}
	}
	if l.MaxConnsPerIP < 0 {
		bad("limits.max_connections_per_ip", "must not be negative (0 means no limit)")
	}
	if l.MaxConns < 0 {
		bad("limits.max_connections", "must not be negative (0 means no limit)")
	}
	if l.MaxBytesPerSecond < 0 {
		bad("limits.max_bytes_per_second", "must not be negative (0 means no limit)")
	}
	if l.MaxBytesPerSecond > 0 && l.MaxBytesBurst < 1 {
		bad("limits.max_bytes_burst", "must be at least 1 while limits.max_bytes_per_second is on")
	}
	if c.Auth.PasswordCacheTTL.Duration < 0 {
		bad("auth.password_cache_ttl", "must not be negative (0 turns the cache off)")
	}
	if c.Auth.PasswordCacheSize < 0 {
		bad("auth.password_cache_size", "must not be negative (0 turns the cache off)")
	}
	c.validateIRC(bad)
	c.validateLab(bad)
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
	return errors.Join(errs...)
}

// validateIRC checks the [irc] table. It is checked even when the listener
// is off, so that turning it on cannot reveal an old mistake.
func (c *Config) validateIRC(bad func(key, format string, args ...any)) {
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
	for _, d := range []struct {
		key string
		d   Duration
	}{
		{"irc.registration_timeout", i.RegistrationTimeout},
		{"irc.idle_timeout", i.IdleTimeout},
		{"irc.ping_timeout", i.PingTimeout},
	} {
		if d.d.Duration <= 0 {
			bad(d.key, "must be a positive duration")
		}
	}
	if i.FloodBurst < 0 {
		bad("irc.flood_burst", "must not be negative (0 turns the flood limit off)")
	}
	if i.FloodBurst > 0 && i.FloodRate < 1 {
		bad("irc.flood_rate", "must be at least 1 line per second while irc.flood_burst is on")
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
