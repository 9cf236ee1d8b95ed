package labrun

import "testing"

// TestSelectProfilesIRCOnly: without --irc the IRC-only profiles are not
// run (an XMPP client could not meet them), and naming one says to use
// --irc; with --irc they are.
func TestSelectProfilesIRCOnly(t *testing.T) {
	xmpp, err := selectProfiles(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range xmpp {
		if p.IRCOnly {
			t.Errorf("an XMPP run selected the IRC-only %s", p.Name)
		}
	}
	if _, err := selectProfiles([]string{"sts-stripped"}, false); err == nil {
		t.Error("an IRC-only profile was accepted for XMPP")
	}
	irc, err := selectProfiles([]string{"sts-stripped", "sts-bad-port", "sasl-before-tls-irc"}, true)
	if err != nil || len(irc) != 3 {
		t.Errorf("--irc with the IRC-only profiles: %v, %v", irc, err)
	}
}
