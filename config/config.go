// Package config loads jabberd's TOML configuration, fills in defaults and
// validates every value, so that the rest of the server can trust it. The
// one exception is a lab profile's name, which only the lab can check
// (app.CheckProfiles).
package config

import (
	"fmt"
	"time"

	"jabberd/tlspolicy"
)

// Config is the whole server configuration.
type Config struct {
	Domain   string     `toml:"domain"`
	StateDir string     `toml:"state_dir"`
	Listen   []Listener `toml:"listen"`
	TLS      TLS        `toml:"tls"`
	Auth     Auth       `toml:"auth"`
	Chat     Chat       `toml:"chat"`
	Limits   Limits     `toml:"limits"`
	Memory   Memory     `toml:"memory"`
	Log      Log        `toml:"log"`
	Users    []User     `toml:"user"`
	IRC      IRC        `toml:"irc"`
	MUC      MUC        `toml:"muc"`
	Upload   Upload     `toml:"upload"`
	PEP      PEP        `toml:"pep"`
	Lab      Lab        `toml:"lab"`
}

// Listener is one [[listen]] entry: a TCP address and its STARTTLS policy.
type Listener struct {
	Address string           `toml:"address"`
	TLS     tlspolicy.Policy `toml:"tls"`
	// Profile is the lab behaviour profile of the listener ("" for the
	// standard behaviour; `jabberd profiles` lists them). The lab checks
	// the name (app.CheckProfiles), not Validate.
	Profile string `toml:"profile"`
	// IfAvailable skips the listener, with a log line, when its address
	// does not exist on this machine ([::1] without IPv6); any other
	// error still stops the start-up.
	IfAvailable bool `toml:"if_available"`
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
	// AccountCacheSize bounds the accounts the store keeps decoded in
	// memory for logins (least recently used dropped first); 0: every
	// login reads the database.
	AccountCacheSize int `toml:"account_cache_size"`
}

// Chat configures the chat server above the streams.
type Chat struct {
	// OfflineQuota is how many messages are kept for an offline user (0:
	// no limit).
	OfflineQuota int `toml:"offline_quota"`
	// AutoRoster makes every local user a mutual contact of every other,
	// for quick lab tests. Off by default.
	AutoRoster bool `toml:"auto_roster"`
	// StreamManagement offers XEP-0198 (RFC 6120 streams, and legacy streams
	// whose header declares xmlns:sm).
	StreamManagement bool `toml:"stream_management"`
	// SMResumeTimeout is how long a session whose connection vanished
	// waits to be resumed (0: no resumption).
	SMResumeTimeout Duration `toml:"sm_resume_timeout"`
	// SMMaxUnacked bounds the stanzas a session keeps unacknowledged;
	// past it the session ends and they go to offline storage.
	SMMaxUnacked int `toml:"sm_max_unacked"`
	// CSIMaxHeld bounds the presence updates and chat states held for a
	// client that said it is inactive (XEP-0352); 0 does not offer it.
	CSIMaxHeld int `toml:"csi_max_held"`
	// MaxBlocklistItems bounds an account's XEP-0191 blocklist.
	MaxBlocklistItems int `toml:"max_blocklist_items"`
	// BlocklistCache is how many accounts' blocklists are kept in memory
	// for routing, least recently used dropped first.
	BlocklistCache int `toml:"blocklist_cache"`
	// VCardMaxBytes bounds an account's vcard-temp vCard (XEP-0054), as
	// stored; a larger one is refused with not-acceptable.
	VCardMaxBytes int `toml:"vcard_max_bytes"`
	// VCardPhotoCache is how many accounts' photo hashes (XEP-0153) are
	// remembered for their presence, least recently used dropped first.
	VCardPhotoCache int `toml:"vcard_photo_cache"`
	// PrivateMaxBytes bounds the elements an account keeps in private XML
	// storage (XEP-0049), in all, as stored; past it a set is refused
	// with resource-constraint.
	PrivateMaxBytes int `toml:"private_max_bytes"`
	// Archive keeps the messages between accounts in their XEP-0313
	// archives and offers MAM.
	Archive bool `toml:"archive"`
	// ArchiveMaxMessages bounds one archive; the oldest go past it.
	ArchiveMaxMessages int `toml:"archive_max_messages"`
	// ArchiveRetention is how long an archived message is kept (0: until
	// ArchiveMaxMessages pushes it out).
	ArchiveRetention Duration `toml:"archive_retention"`
	// ArchiveMaxPage bounds the messages of one answer to a query.
	ArchiveMaxPage int `toml:"archive_max_page"`
	// ArchiveMaxPrefsJIDs bounds an account's archiving preferences'
	// always and never lists together.
	ArchiveMaxPrefsJIDs int `toml:"archive_max_prefs_jids"`
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
	// TCPKeepAlive is the TCP keepalive period of accepted connections
	// (idle time before the first probe and between probes); 0 turns TCP
	// keepalive off. XMPP's and IRC's idle timeouts already end a silent
	// peer's connection.
	TCPKeepAlive Duration `toml:"tcp_keepalive"`
}

// IRC is the optional IRC listener with the IRCv3 tls capability
// (STARTTLS). It shares the server certificate, the client CAs and the
// accounts with XMPP; its network is its own (no bridge to XMPP).
type IRC struct {
	Enabled bool   `toml:"enabled"`
	Address string `toml:"address"`
	// TLS is the STARTTLS policy of Address: required, optional or
	// disabled (direct TLS is TLSAddress's).
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
	// by app.CheckProfiles, like a listener's).
	Profile string `toml:"profile"`
	// TLSAddress, when set, is a second IRC listener that speaks TLS at
	// once (RFC 7194, conventionally port 6697), with the same
	// certificates, client-certificate login and lab profile.
	TLSAddress string `toml:"tls_address"`
	// STSPort, when not 0, turns on the IRCv3 sts policy: plaintext
	// connections are told sts=port=STSPort (reconnect with TLS there),
	// TLS connections sts=duration=STSDuration. STSDuration alone sends
	// the persistence policy over TLS only.
	STSPort     int      `toml:"sts_port"`
	STSDuration Duration `toml:"sts_duration"`
}

// STS reports whether the sts policy is advertised at all.
func (i IRC) STS() bool { return i.STSPort != 0 || i.STSDuration.Duration > 0 }

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
	// ListenAfterFailure is how long a connection keeps listening, after a
	// refused STARTTLS or a failed handshake, for plaintext the client
	// sends on the same socket (recorded and judged, never parsed).
	ListenAfterFailure Duration `toml:"listen_after_failure"`
	// FallbackWindow is how long after a refusal or a failed handshake a
	// plaintext connection of the same client (same per-profile port or
	// label, same address) counts as its fallback.
	FallbackWindow Duration `toml:"fallback_window"`
	// ProfilePorts, when not 0, opens one XMPP port per profile: profile
	// i of `jabberd profiles` on ProfilePorts+i (and on ProfilePorts+100+i
	// for IRC, when [irc] is enabled), on the first listener's host.
	ProfilePorts int `toml:"profile_ports"`
	// RunLabel marks every connection of a `jabberd lab run` (not a
	// configuration key).
	RunLabel string `toml:"-"`
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
