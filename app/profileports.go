package app

import (
	"net"
	"slices"
	"strconv"

	"jabberd/config"
	"jabberd/lab"
	"jabberd/tlspolicy"
)

// ProfilePort is one per-profile port ([lab] profile_ports): a client that
// connects there meets that profile, whatever it can or cannot send.
type ProfilePort struct {
	Profile  string `json:"profile"`
	Protocol string `json:"protocol"` // "xmpp" or "irc"
	Address  string `json:"address"`  // as configured until Listen, then as bound
}

// IRCPortOffset separates a profile's IRC port from its XMPP port.
const IRCPortOffset = 100

// ProfilePortsOf lists the per-profile ports a configuration asks for, as
// configured (before anything listens).
func ProfilePortsOf(cfg *config.Config) []ProfilePort { return profilePorts(cfg) }

// profilePorts lists the ports [lab] profile_ports asks for: profile i of
// lab.Profiles() on base+i (none for an IRC-only profile; IRC, for the
// profiles that apply to it, on base+100+i), on the first listener's host.
func profilePorts(cfg *config.Config) []ProfilePort {
	base := cfg.Lab.ProfilePorts
	if base == 0 || len(cfg.Listen) == 0 {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Listen[0].Address)
	if err != nil {
		host = ""
	}
	var out []ProfilePort
	for i, p := range lab.Profiles() {
		if !p.IRCOnly {
			out = append(out, ProfilePort{Profile: p.Name, Protocol: "xmpp", Address: net.JoinHostPort(host, strconv.Itoa(base+i))})
		}
		if p.IRC && cfg.IRC.Enabled {
			out = append(out, ProfilePort{Profile: p.Name, Protocol: "irc", Address: net.JoinHostPort(host, strconv.Itoa(base+IRCPortOffset+i))})
		}
	}
	return out
}

// withProfilePorts returns a copy of cfg with an XMPP listener (STARTTLS
// optional) for every XMPP per-profile port; IRC's are opened by Listen.
func withProfilePorts(cfg *config.Config, ports []ProfilePort) *config.Config {
	if len(ports) == 0 {
		return cfg
	}
	c := *cfg
	c.Listen = slices.Clone(cfg.Listen)
	for _, pp := range ports {
		if pp.Protocol == "xmpp" {
			c.Listen = append(c.Listen, config.Listener{Address: pp.Address, TLS: tlspolicy.Optional, Profile: pp.Profile})
		}
	}
	return &c
}
