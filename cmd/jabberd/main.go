// Command jabberd is a small XMPP server for testing clients' STARTTLS and
// certificate login. This file only parses flags and wires packages.
package main

import (
	"fmt"
	"io"
	"os"

	"jabberd/app"
	"jabberd/config"
)

const usage = `jabberd — an XMPP server for testing STARTTLS (XEP-0035 and RFC 6120) and certificate login

usage:
  jabberd [serve] [flags]     run the server (the default)
  jabberd check [flags]       validate the configuration, print it (passwords hidden) and warn
  jabberd version             print the version and build (also --version)
  jabberd status [-json]      ask the running server: listeners, sessions, uptime, certificates
  jabberd reload              make the running server reload its configuration (as SIGHUP does)
  jabberd users <command>     add, delete, list accounts, set passwords, running or not (run "jabberd users")
  jabberd certs <command>     make lab certificates (run "jabberd certs" for the commands)
  jabberd bench <scenario>    load a running server: login, tlsraw, idle, messages (run "jabberd bench -h")
  jabberd profiles [-v]       list the lab behaviour profiles (-v: what a correct client does, and the source)
  jabberd lab run -- CLIENT   run a client against every profile and print its scorecard (run "jabberd lab run -h")

serve flags (they override the configuration file):
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "certs":
			return runCerts(args[1:], stdout, stderr)
		case "bench":
			return runBench(args[1:], stdout, stderr)
		case "users":
			return runUsers(args[1:], os.Stdin, stdout, stderr)
		case "profiles":
			return runProfiles(args[1:], stdout, stderr)
		case "lab":
			return runLab(args[1:], stdout, stderr)
		case "version", "--version", "-version":
			return runVersion(args[1:], stdout, stderr)
		case "check":
			return runCheck(args[1:], stdout, stderr)
		case "status":
			return runStatus(args[1:], stdout, stderr)
		case "reload":
			return runReload(args[1:], stdout, stderr)
		case "serve":
			args = args[1:]
		case "help":
			args = []string{"-h"}
		}
	}
	return runServe(args, stdout, stderr)
}

// loadConfig reads the configuration file and checks its lab profile names,
// which config leaves to the lab; either error names the file.
func loadConfig(path string) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	if err := app.CheckProfiles(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// applyFlags lays command-line overrides over the configuration.
func applyFlags(cfg *config.Config, listen, domain, state, level string, users []config.User) {
	if listen != "" {
		l := cfg.Listen[0]
		l.Address = listen
		cfg.Listen = []config.Listener{l}
	}
	if domain != "" {
		cfg.Domain = domain
	}
	if state != "" {
		cfg.StateDir = state
	}
	if level != "" {
		cfg.Log.Level = level
	}
	for _, u := range users {
		replaced := false
		for i := range cfg.Users {
			if cfg.Users[i].Name == u.Name {
				cfg.Users[i].Password, replaced = u.Password, true
			}
		}
		if !replaced {
			cfg.Users = append(cfg.Users, u)
		}
	}
}
