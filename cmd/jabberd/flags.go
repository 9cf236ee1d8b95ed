package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"jabberd/config"
)

// serveOptions are the flags serve and check share: the configuration
// file and the overrides laid over it. Reloads apply them again.
type serveOptions struct {
	config, listen, domain, state, logLevel string
	users                                   userFlags
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

// parseServeFlags parses args into o; it returns -1 to go on, or the
// exit code (0 for -h, 2 for a usage error).
func (o *serveOptions) parse(name, usageText string, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.config, "config", "", "configuration file (TOML); without it the embedded default is used")
	fs.StringVar(&o.listen, "listen", "", "listen on ADDR only (e.g. 127.0.0.1:5222, or :5222 for every interface), keeping the first listener's TLS policy")
	fs.StringVar(&o.domain, "domain", "", "the XMPP domain served")
	fs.StringVar(&o.state, "state", "", "state directory (lab CA, certificates, database, control socket)")
	fs.StringVar(&o.logLevel, "log-level", "", "trace, debug, info, warn or error")
	fs.Var(&o.users, "user", "add an account NAME:PASSWORD (repeatable); replaces one of the same name")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", name, fs.Arg(0))
		return 2
	}
	return -1
}

// load reads the configuration (the file, or the embedded default) and
// lays the flags over it, validated: the effective configuration.
func (o *serveOptions) load() (*config.Config, error) {
	cfg := config.Default()
	if o.config != "" {
		var err error
		if cfg, err = loadConfig(o.config); err != nil {
			return nil, err
		}
	}
	applyFlags(cfg, o.listen, o.domain, o.state, o.logLevel, o.users)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid settings: %w", err)
	}
	return cfg, nil
}
