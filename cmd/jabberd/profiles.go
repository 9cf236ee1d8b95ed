package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"jabberd/app"
	"jabberd/lab"
)

const profilesUsage = `usage: jabberd profiles [-v] [-config FILE]

Lists the lab behaviour profiles, one line each. Choose one by its own port
([lab] profile_ports: every client can), per listener ([[listen]] profile,
[irc] profile), or per connection: a +tag in the username
(from='alice+strip-starttls@localhost'; in a SASL or XEP-0078 login only a
profile that acts after TLS can still be chosen), or the first label of the
TLS server name (SNI cert-expired.localhost). SNI wins over the username, the
username over the listener. With -config, each profile's ports are listed.

`

// runProfiles implements `jabberd profiles`.
func runProfiles(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jabberd profiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, profilesUsage); fs.PrintDefaults() }
	verbose := fs.Bool("v", false, "also say what a correct client does, what passes and fails, the verdict flags and where the attack is described")
	cfgPath := fs.String("config", "", "a configuration file: list each profile's ports from its [lab] profile_ports")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	ports := map[string]string{}
	if *cfgPath != "" {
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "jabberd profiles: %v\n", err)
			return 1
		}
		for _, pp := range app.ProfilePortsOf(cfg) {
			ports[pp.Profile] += pp.Protocol + " " + pp.Address + " "
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	category := ""
	for _, p := range lab.Profiles() {
		if p.Category != category {
			category = p.Category
			fmt.Fprintf(tw, "# %s\n", category)
		}
		proto := "xmpp"
		switch {
		case p.IRCOnly:
			proto = "irc"
		case p.IRC:
			proto = "xmpp,irc"
		}
		if pp := ports[p.Name]; pp != "" {
			proto = strings.TrimSpace(pp)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, proto, p.Summary)
		if *verbose {
			fmt.Fprintf(tw, "\t\tcorrect client: %s\n", p.Correct)
			fmt.Fprintf(tw, "\t\tpass: %s %q\n", p.PassIf, p.Pass)
			fmt.Fprintf(tw, "\t\tfail: %s %q\n", p.FailIf, p.Fail)
			fmt.Fprintf(tw, "\t\tsource: %s\n", p.Source)
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
