// Command jabberd is a small XMPP server for testing clients' STARTTLS and
// certificate login. This file only parses flags and wires packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"jabberd/app"
	"jabberd/config"
)

const usage = `jabberd — an XMPP server for testing STARTTLS (XEP-0035 and RFC 6120) and certificate login

usage:
  jabberd [serve] [flags]     run the server (the default)
  jabberd certs <command>     make lab certificates (run "jabberd certs" for the commands)
  jabberd bench <scenario>    load a running server: login, idle, messages (run "jabberd bench -h")
  jabberd users <command>     add, delete, list accounts, set passwords, with the server stopped (run "jabberd users")
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
		case "serve":
			args = args[1:]
		case "help":
			args = []string{"-h"}
		}
	}
	return runServe(args, stdout, stderr)
}

// userFlags collects repeated -user NAME:PASSWORD.
type userFlags []config.User

func (u *userFlags) String() string { return "" }

func (u *userFlags) Set(v string) error {
	name, pass, ok := strings.Cut(v, ":")
	if !ok || name == "" || pass == "" {
		return errors.New("want NAME:PASSWORD")
	}
	*u = append(*u, config.User{Name: name, Password: pass})
	return nil
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jabberd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "", "configuration file (TOML); without it the embedded default is used")
	listen := fs.String("listen", "", "listen on ADDR only (e.g. 127.0.0.1:5222), keeping the first listener's TLS policy")
	domain := fs.String("domain", "", "the XMPP domain served")
	state := fs.String("state", "", "state directory (lab CA, certificates)")
	logLevel := fs.String("log-level", "", "trace, debug, info, warn or error")
	var users userFlags
	fs.Var(&users, "user", "add an account NAME:PASSWORD (repeatable); replaces one of the same name")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "jabberd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	cfg := config.Default()
	if *cfgPath != "" {
		var err error
		if cfg, err = loadConfig(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "jabberd: %v\n", err)
			return 1
		}
	}
	applyFlags(cfg, *listen, *domain, *state, *logLevel, users)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "jabberd: invalid settings: %v\n", err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	set, err := app.FromConfig(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "jabberd: %v\n", err)
		return 1
	}
	addrs, err := set.Listen()
	if err != nil {
		set.Store.Close()
		fmt.Fprintf(stderr, "jabberd: %v\n", err)
		return 1
	}
	printBanner(stdout, cfg, set, addrs, *cfgPath == "")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	log.Info().Str("signal", sig.String()).Msg("stopping")
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Limits.ShutdownGrace.Duration)
	defer cancel()
	if err := set.Shutdown(ctx); err != nil {
		log.Warn().Err(err).Msg("some connections did not close in time and were cut")
	}
	// After every session ended (and stored what it could not deliver).
	if err := set.Store.Close(); err != nil {
		log.Error().Err(err).Msg("closing the store failed")
	}
	log.Info().Msg("stopped")
	return 0
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
