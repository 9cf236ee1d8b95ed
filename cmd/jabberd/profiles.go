package main

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"jabberd/lab"
)

const profilesUsage = `usage: jabberd profiles [-v]

Lists the lab behaviour profiles, one line each. Choose one per listener
([[listen]] profile, [irc] profile) or per connection: a +tag in the
username (from='alice+strip-starttls@localhost', SASL or USER), or the first
label of the TLS server name (SNI cert-expired.localhost). SNI wins over the
username, the username over the listener.

`

// runProfiles implements `jabberd profiles`.
func runProfiles(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jabberd profiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, profilesUsage); fs.PrintDefaults() }
	verbose := fs.Bool("v", false, "also say what a correct client does, the verdict flags and where the attack is described")
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
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, p := range lab.Profiles() {
		proto := "xmpp"
		if p.IRC {
			proto = "xmpp,irc"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, proto, p.Summary)
		if *verbose {
			fmt.Fprintf(tw, "\t\tcorrect client: %s\n", p.Correct)
			fmt.Fprintf(tw, "\t\tverdict flags: pass %q, fail %q\n", p.Pass, p.Fail)
			fmt.Fprintf(tw, "\t\tsource: %s\n", p.Source)
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
