package config

import "strings"

// MUC configures the multi-user chat service (XEP-0045).
type MUC struct {
	// Enabled runs the service. On in the embedded default.
	Enabled bool `toml:"enabled"`
	// Domain is the service's JID; "" is conference.<domain>.
	Domain string `toml:"domain"`
	// MaxRoomsPerUser bounds the rooms one account has created that still
	// exist.
	MaxRoomsPerUser int `toml:"max_rooms_per_user"`
	// MaxRooms bounds the rooms of the service.
	MaxRooms int `toml:"max_rooms"`
	// MaxOccupants bounds a room's occupants (its maxusers may be lower).
	MaxOccupants int `toml:"max_occupants"`
	// MaxHistory is how many messages a room keeps for joiners (0 none).
	MaxHistory int `toml:"max_history"`
	// MaxMessageBytes bounds the body and subject of a room message.
	MaxMessageBytes int `toml:"max_message_bytes"`
	// MaxSessionsPerNick bounds the sessions (resources) of one account
	// sharing one nickname in a room.
	MaxSessionsPerNick int `toml:"max_sessions_per_nick"`
	// VoiceRequestInterval is how often one occupant may ask a room's
	// moderators for voice.
	VoiceRequestInterval Duration `toml:"voice_request_interval"`
	// ArchiveByDefault: a new room keeps its messages in the message
	// archive (XEP-0313; needs chat.archive) until its owner turns it off.
	ArchiveByDefault bool `toml:"archive_by_default"`
}

// MUCDomain is the service's JID: muc.domain, or conference.<domain>.
func (c *Config) MUCDomain() string {
	if c.MUC.Domain != "" {
		return strings.ToLower(c.MUC.Domain)
	}
	return "conference." + strings.ToLower(c.Domain)
}

// validateMUC checks the [muc] table.
func (c *Config) validateMUC(bad badFunc) {
	m := c.MUC
	if m.Domain != "" && (strings.ContainsAny(m.Domain, "@/ ") || strings.EqualFold(m.Domain, c.Domain)) {
		bad("muc.domain", "%q is not a domain name of its own (it must differ from domain)", m.Domain)
	}
	if m.MaxRoomsPerUser < 1 {
		bad("muc.max_rooms_per_user", "must be at least 1")
	}
	if m.MaxRooms < 1 {
		bad("muc.max_rooms", "must be at least 1")
	}
	if m.MaxOccupants < 1 {
		bad("muc.max_occupants", "must be at least 1")
	}
	if m.MaxHistory < 0 || m.MaxHistory > 1000 {
		bad("muc.max_history", "must be between 0 and 1000")
	}
	if m.MaxSessionsPerNick < 1 {
		bad("muc.max_sessions_per_nick", "must be at least 1 (1: one session per nickname)")
	}
	if m.VoiceRequestInterval.Duration <= 0 {
		bad("muc.voice_request_interval", "must be positive")
	}
	if m.MaxMessageBytes < 1 {
		bad("muc.max_message_bytes", "must be at least 1 (limits.max_stanza_bytes bounds a message anyway)")
	}
}
