package config

// validateLab checks the [lab] table. The profile names of the listeners
// are the lab's to check (server.CheckProfiles): the configuration does not
// know the profiles.
func (c *Config) validateLab(bad func(key, format string, args ...any)) {
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
}
