package config

import (
	"strings"
	"testing"
)

// TestLabValidation: the [lab] values are bounded, and profile names are
// read as they are (the lab checks them: server.TestCheckProfiles).
func TestLabValidation(t *testing.T) {
	for _, c := range []struct {
		name, toml, want string
	}{
		{"negative transcripts", "[lab]\ntranscripts = -1\n", "lab.transcripts: must not be negative"},
		{"dir without transcripts", "[lab]\ntranscripts = 0\ntranscript_dir = \"/tmp/t\"\n", "lab.transcript_dir: needs lab.transcripts above 0"},
		{"negative delay", "[lab]\nslow_handshake_delay = \"-1s\"\n", "lab.slow_handshake_delay: must not be negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.toml), "test.toml")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, c.want)
			}
		})
	}
	cfg, err := Parse([]byte("[[listen]]\naddress = \":1\"\nprofile = \"strip-starttls\"\n[irc]\nprofile = \"inject-after-proceed\"\n[lab]\nstatus_address = \"127.0.0.1:5280\"\n"), "ok.toml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen[0].Profile != "strip-starttls" || cfg.IRC.Profile != "inject-after-proceed" || cfg.Lab.StatusAddress != "127.0.0.1:5280" {
		t.Errorf("parsed %+v %+v %+v", cfg.Listen[0], cfg.IRC.Profile, cfg.Lab)
	}
}
