package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"jabberd/labrun"
)

const labUsage = `usage: jabberd lab run [flags] -- CLIENT ARGS...

Starts an isolated jabberd (fresh state, its own CA, one port per profile),
runs CLIENT once per profile, waits for its connections to end, and prints a
scorecard: for each profile what a correct client does, what this client did,
the verdict and its evidence. Exit status: 0 nothing failed, 1 something
failed, 2 only inconclusive results (or no connection at all) stand in the way.

Placeholders, substituted inside every argument:
  {host} {port}    where this profile's port listens
  {domain}         the server's domain (default localhost, served on 127.0.0.1)
  {ca}             the run's CA certificate (PEM) that signed the server's
  {user} {password} {jid}
                   the test account (a password made up per run)
  {cert} {key}     the account's client certificate and key (PEM)
  {profile}        the profile's name

example:
  jabberd lab run --profiles cert-expired,strip-starttls -- \
    openssl s_client -starttls xmpp -xmpphost {domain} -connect {host}:{port} -CAfile {ca} -verify_return_error

flags:
`

// runLab implements `jabberd lab`.
func runLab(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, labUsage)
		return 2
	}
	fs := flag.NewFlagSet("jabberd lab run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, labUsage); fs.PrintDefaults() }
	var opt labrun.Options
	profiles := fs.String("profiles", "all", "comma-separated profiles to run, or all")
	fs.BoolVar(&opt.IRC, "irc", false, "run the IRC listener's profiles (the client speaks IRC)")
	fs.DurationVar(&opt.Timeout, "timeout", 30*time.Second, "how long one run of the client may take")
	fs.StringVar(&opt.Domain, "domain", "localhost", "the server's domain ({domain})")
	fs.StringVar(&opt.Host, "host", "127.0.0.1", "the address the profile ports listen on ({host})")
	fs.StringVar(&opt.User, "user", "alice", "the test account's name ({user})")
	fs.DurationVar(&opt.SlowHandshake, "slow-handshake-delay", 5*time.Second, "how long slow-handshake holds the ServerHello")
	fs.StringVar(&opt.JSON, "json", "", "write the report as JSON to this file")
	fs.StringVar(&opt.JUnit, "junit", "", "write the report as JUnit XML to this file")
	fs.StringVar(&opt.TranscriptDir, "transcripts", "", "write every connection's transcript (JSON lines) into this directory")
	fs.BoolVar(&opt.Keep, "keep", false, "keep the state directory (certificates, server log, client output) and print its path")
	fs.StringVar(&opt.Label, "label", "", "label the run's connections (default lab-run-<time>)")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	opt.Command = fs.Args()
	if len(opt.Command) == 0 {
		fmt.Fprintln(stderr, "jabberd lab run: no client command (put it after --)")
		return 2
	}
	if *profiles != "all" {
		opt.Profiles = strings.Split(*profiles, ",")
	}
	opt.Progress, opt.Out = stderr, stdout
	rep, err := labrun.Run(opt)
	if err != nil {
		fmt.Fprintf(stderr, "jabberd lab run: %v\n", err)
		if rep == nil {
			return 2
		}
	}
	if rep.State != "" {
		fmt.Fprintf(stderr, "state directory kept: %s\n", rep.State)
	}
	return rep.ExitCode()
}
