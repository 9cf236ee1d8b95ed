package config

import (
	"strings"
	"testing"
	"time"

	"jabberd/tlspolicy"
)

// TestIRC: the [irc] table decodes, and each invalid value is refused with
// an error naming its key.
func TestIRC(t *testing.T) {
	c, err := Parse([]byte("[irc]\nenabled = true\naddress = \"127.0.0.1:6697\"\ntls = \"required\"\nnetwork = \"lab\"\n"+
		"registration_timeout = \"5s\"\nidle_timeout = \"1m\"\nping_timeout = \"20s\"\nflood_burst = 0\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := IRC{Enabled: true, Address: "127.0.0.1:6697", TLS: tlspolicy.Required, Network: "lab",
		RegistrationTimeout: Duration{5 * time.Second}, IdleTimeout: Duration{time.Minute}, PingTimeout: Duration{20 * time.Second},
		FloodBurst: 0, FloodRate: 5}
	if c.IRC != want {
		t.Errorf("[irc] = %+v, want %+v", c.IRC, want)
	}
	for _, tt := range []struct{ file, key, says string }{
		{"[irc]\naddress = \"\"\n", "irc.address", "must not be empty"},
		{"[irc]\ntls = \"direct\"\n", "irc.tls", `"direct" is not one of required, optional, disabled`},
		{"[irc]\nnetwork = \"my net\"\n", "irc.network", `"my net" is not a network name`},
		{"[irc]\nnetwork = \"\"\n", "irc.network", `"" is not a network name`},
		{"[irc]\nregistration_timeout = \"0s\"\n", "irc.registration_timeout", "must be a positive duration"},
		{"[irc]\nidle_timeout = \"-1s\"\n", "irc.idle_timeout", "must be a positive duration"},
		{"[irc]\nping_timeout = \"0s\"\n", "irc.ping_timeout", "must be a positive duration"},
		{"[irc]\nflood_burst = -1\n", "irc.flood_burst", "must not be negative"},
		{"[irc]\nflood_rate = 0\n", "irc.flood_rate", "must be at least 1"},
		{"[irc]\nport = 6667\n", "unknown key irc.port", ""},
	} {
		_, err := Parse([]byte(tt.file), "t.toml")
		if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: error %v, want one naming %s (%s)", tt.file, err, tt.key, tt.says)
		}
	}
}
