package app_test

import (
	"testing"

	"jabberd/app"
	"jabberd/config"
	"jabberd/lab"
)

// TestCheckProfilesIRCOnly: every IRC-only profile is accepted as the IRC
// listener's and refused as an XMPP listener's (TestCheckProfiles checks
// the error's words).
func TestCheckProfilesIRCOnly(t *testing.T) {
	n := 0
	for _, p := range lab.Profiles() {
		if !p.IRCOnly {
			continue
		}
		n++
		if !p.IRC {
			t.Errorf("%s is IRC-only but does not apply to IRC", p.Name)
		}
		irc, err := config.Parse([]byte("[irc]\nprofile = \""+p.Name+"\"\n"), "irc.toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.CheckProfiles(irc); err != nil {
			t.Errorf("[irc] profile = %q: %v", p.Name, err)
		}
		xmpp, err := config.Parse([]byte("[[listen]]\naddress = \":1\"\nprofile = \""+p.Name+"\"\n"), "xmpp.toml")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.CheckProfiles(xmpp); err == nil {
			t.Errorf("[[listen]] profile = %q was accepted", p.Name)
		}
	}
	if n < 3 {
		t.Errorf("%d IRC-only profiles, want sts-stripped, sts-bad-port and sasl-before-tls-irc", n)
	}
}
