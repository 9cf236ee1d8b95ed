package config

import (
	"strings"
	"testing"
	"time"
)

// TestIRCDirectTLSAndSTS: [irc] tls_address, sts_port and sts_duration
// decode, are off by default, and each invalid value is refused with an
// error naming its key.
func TestIRCDirectTLSAndSTS(t *testing.T) {
	d := Default().IRC
	if d.TLSAddress != "" || d.STSPort != 0 || d.STSDuration.Duration != 0 || d.STS() {
		t.Errorf("default [irc] has direct TLS or sts on: %+v", d)
	}
	c, err := Parse([]byte("[irc]\nenabled = true\ntls_address = \"127.0.0.1:6697\"\nsts_port = 6697\nsts_duration = \"720h\"\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	if i := c.IRC; i.TLSAddress != "127.0.0.1:6697" || i.STSPort != 6697 || i.STSDuration.Duration != 720*time.Hour || !i.STS() {
		t.Errorf("[irc] = %+v", i)
	}
	if c, err := Parse([]byte("[irc]\nsts_duration = \"5m\"\n"), "t.toml"); err != nil || !c.IRC.STS() {
		t.Errorf("sts_duration alone: STS() = %v, %v; want the persistence policy on", c != nil && c.IRC.STS(), err)
	}
	for _, tt := range []struct{ file, key, says string }{
		{"[irc]\naddress = \":6667\"\ntls_address = \":6667\"\n", "irc.tls_address", "needs a port of its own"},
		{"[irc]\nsts_port = -1\n", "irc.sts_port", "is not a port"},
		{"[irc]\nsts_port = 70000\n", "irc.sts_port", "is not a port"},
		{"[irc]\nsts_duration = \"-1s\"\n", "irc.sts_duration", "must not be negative"},
		{"[irc]\nsts_duration = \"1500ms\"\n", "irc.sts_duration", "not a whole number of seconds"},
	} {
		_, err := Parse([]byte(tt.file), "t.toml")
		if err == nil || !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: error %v, want one naming %s (%s)", tt.file, err, tt.key, tt.says)
		}
	}
}
