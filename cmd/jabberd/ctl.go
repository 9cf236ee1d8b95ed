package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"jabberd/app"
	"jabberd/config"
	"jabberd/control"
)

// exitNotRunning is the exit status of status and reload when no server
// runs on the state directory (as LSB's "program is not running").
const exitNotRunning = 3

// stateFlags are how a command finds the server: its state directory,
// given or taken from a configuration.
type stateFlags struct{ state, config string }

func (s *stateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.state, "state", "", "the server's state directory (default: the configuration's state_dir, "+config.Default().StateDir+" without -config)")
	fs.StringVar(&s.config, "config", "", "the server's configuration file, to take state_dir from")
}

// dir is the state directory.
func (s *stateFlags) dir() (string, error) {
	if s.state != "" {
		return s.state, nil
	}
	if s.config == "" {
		return config.Default().StateDir, nil
	}
	cfg, err := loadConfig(s.config)
	if err != nil {
		return "", err
	}
	return cfg.StateDir, nil
}

// call sends one request to the server on the state directory.
func (s *stateFlags) call(req control.Request) (control.Response, error) {
	dir, err := s.dir()
	if err != nil {
		return control.Response{}, err
	}
	return control.Call(control.Path(dir), req, 2*time.Minute)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "jabberd version: unexpected argument %q\n", args[0])
		return 2
	}
	fmt.Fprintln(stdout, app.BuildInfo())
	return 0
}

// ctlFlags parses a control command's flags.
func ctlFlags(name, what string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*stateFlags, int) {
	fs := flag.NewFlagSet("jabberd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: jabberd %s [-state DIR | -config FILE]\n\n%s\n\nflags:\n", name, what)
		fs.PrintDefaults()
	}
	var sf stateFlags
	sf.register(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "jabberd %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, 2
	}
	return &sf, -1
}

// answer turns a call's outcome into an exit status, printing the error.
func answer(name string, resp control.Response, err error, stderr io.Writer) int {
	switch {
	case errors.Is(err, control.ErrNotRunning):
		fmt.Fprintf(stderr, "jabberd %s: %v\n", name, err)
		return exitNotRunning
	case err != nil:
		fmt.Fprintf(stderr, "jabberd %s: %v\n", name, err)
		return 1
	case !resp.OK:
		fmt.Fprintf(stderr, "jabberd %s: %s\n", name, resp.Error)
		return 1
	}
	return 0
}

func runReload(args []string, stdout, stderr io.Writer) int {
	sf, code := ctlFlags("reload", "Makes the running server read its configuration again and apply what it can\nwithout a restart (accounts, certificates, client CAs, lab settings, log level),\nas SIGHUP does; it says what changed and what needs a restart.", args, stderr, nil)
	if code >= 0 {
		return code
	}
	resp, err := sf.call(control.Request{Command: control.CmdReload})
	if code := answer("reload", resp, err, stderr); code != 0 {
		return code
	}
	fmt.Fprintln(stdout, resp.Output)
	return 0
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	var asJSON bool
	sf, code := ctlFlags("status", "Asks the running server how it is: version, uptime, listeners, connections,\nsessions, accounts, certificates. Exit status 3 when none runs.", args, stderr,
		func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print the status as JSON") })
	if code >= 0 {
		return code
	}
	resp, err := sf.call(control.Request{Command: control.CmdStatus})
	if code := answer("status", resp, err, stderr); code != 0 {
		return code
	}
	if asJSON {
		b, _ := json.MarshalIndent(resp.Status, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	printStatus(stdout, resp.Status, time.Now())
	return 0
}

// printStatus writes a status for a person.
func printStatus(w io.Writer, st *control.Status, now time.Time) {
	fmt.Fprintln(w, st.Version)
	fmt.Fprintf(w, "running:       pid %d since %s (up %s)\n", st.PID, st.Started.UTC().Format("2006-01-02 15:04:05 UTC"), st.Uptime)
	file := st.ConfigFile
	if file == "" {
		file = "embedded default"
	}
	line := fmt.Sprintf("%s, reloaded %d times", file, st.Reloads)
	if st.LastReloadError != "" {
		line += "; the last reload failed: " + st.LastReloadError
	}
	fmt.Fprintf(w, "configuration: %s\n", line)
	fmt.Fprintf(w, "domain:        %s (state dir %s, log level %s)\n", st.Domain, st.StateDir, st.LogLevel)
	for i, l := range st.Listeners {
		label := "listening:    "
		if i > 0 {
			label = "             "
		}
		desc := l.Protocol + " " + l.Address
		if l.TLS != "" {
			desc += " (tls = " + l.TLS + ")"
		}
		if l.Profile != "" {
			desc += " profile " + l.Profile
		}
		if l.Protocol == "http" {
			desc += " (status page; metrics at /metrics)"
		}
		fmt.Fprintf(w, "%s %s\n", label, desc)
	}
	var conns []string
	for _, p := range []string{"xmpp", "irc"} {
		if n, ok := st.Connections[p]; ok {
			conns = append(conns, fmt.Sprintf("%s %d", p, n))
		}
	}
	fmt.Fprintf(w, "connections:   %s\n", strings.Join(conns, ", "))
	fmt.Fprintf(w, "sessions:      %d bound\n", st.Sessions)
	fmt.Fprintf(w, "accounts:      %d (%d managed by the configuration)\n", st.Accounts, st.Configured)
	for i, c := range st.Certificates {
		label := "certificates: "
		if i > 0 {
			label = "              "
		}
		days := int(c.NotAfter.Sub(now).Hours() / 24)
		fmt.Fprintf(w, "%s %-12s %s  %s  expires %s (in %d days)\n", label, c.Name, c.Subject, c.File, c.NotAfter.UTC().Format(time.DateOnly), days)
	}
}
