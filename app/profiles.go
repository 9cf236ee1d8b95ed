package app

import (
	"errors"
	"fmt"

	"jabberd/config"
	"jabberd/lab"
)

// CheckProfiles checks the lab profile named by each listener and by [irc]
// against the lab's profiles, which the configuration does not know. Its
// errors name the key, as the configuration's own do.
func CheckProfiles(cfg *config.Config) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	for i, l := range cfg.Listen {
		if err := lab.CheckName(l.Profile); err != nil {
			bad(fmt.Sprintf("listen[%d].profile", i), "%v", err)
			continue
		}
		switch p, _ := lab.Lookup(l.Profile); {
		case p != nil && p.IRCOnly:
			bad(fmt.Sprintf("listen[%d].profile", i), "%q is an IRC-only profile (choose it with [irc] profile)", l.Profile)
		case p != nil && !l.TLS.UsesTLS():
			bad(fmt.Sprintf("listen[%d].profile", i), "%q bends TLS, and this listener has tls = \"disabled\"", l.Profile)
		}
	}
	if err := lab.CheckName(cfg.IRC.Profile); err != nil {
		bad("irc.profile", "%v", err)
	} else if p, _ := lab.Lookup(cfg.IRC.Profile); p != nil && !p.IRC {
		bad("irc.profile", "%q is an XMPP-only profile", cfg.IRC.Profile)
	}
	return errors.Join(errs...)
}
