package config

import (
	"fmt"

	"jabberd/lab"
)

// validateLab checks the [lab] table and the profile of every listener.
func (c *Config) validateLab(bad func(key, format string, args ...any)) {
	for i, l := range c.Listen {
		if err := lab.Check(l.Profile); err != nil {
			bad(fmt.Sprintf("listen[%d].profile", i), "%v", err)
			continue
		}
		if p, _ := lab.Lookup(l.Profile); p != nil && !l.TLS.UsesTLS() {
			bad(fmt.Sprintf("listen[%d].profile", i), "%q bends TLS, and this listener has tls = \"disabled\"", l.Profile)
		}
	}
	if err := lab.Check(c.IRC.Profile); err != nil {
		bad("irc.profile", "%v", err)
	} else if p, _ := lab.Lookup(c.IRC.Profile); p != nil && !p.IRC {
		bad("irc.profile", "%q is an XMPP-only profile", c.IRC.Profile)
	}
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
