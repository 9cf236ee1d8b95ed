package config

import (
	"strings"
	"testing"
)

// TestLabValidation: profile names are checked against the lab's list,
// XMPP-only profiles are refused on IRC, and the [lab] values are bounded.
func TestLabValidation(t *testing.T) {
	for _, c := range []struct {
		name, toml, want string
	}{
		{"unknown listener profile", "[[listen]]\naddress = \":1\"\nprofile = \"nonsense\"\n", "listen[0].profile: unknown lab profile \"nonsense\" (known: strip-starttls"},
		{"profile on a plaintext listener", "[[listen]]\naddress = \":1\"\ntls = \"disabled\"\nprofile = \"cert-expired\"\n", "listen[0].profile: \"cert-expired\" bends TLS"},
		{"XMPP-only profile on IRC", "[irc]\nprofile = \"sasl-before-tls\"\n", "irc.profile: \"sasl-before-tls\" is an XMPP-only profile"},
		{"unknown IRC profile", "[irc]\nprofile = \"x\"\n", "irc.profile: unknown lab profile"},
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
