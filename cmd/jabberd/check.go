package main

import (
	"fmt"
	"io"
	"time"

	"jabberd/app"
	"jabberd/config"
	"jabberd/control"
)

const checkUsage = `usage: jabberd check [flags]

Validates the configuration as "jabberd serve" with the same flags would
load it (the file, the defaults, the flags), reads the files it names,
prints the effective configuration with the passwords hidden, and warns
about what an admin should know: no accounts, passwords allowed without
TLS, a status page off loopback, lab accounts or profiles on a listener
other hosts reach, certificates expiring within 30 days, an open-file limit
below limits.max_connections. Exit status 0 when the server would start
(warnings or not), 1 when it would not.

flags:
`

func runCheck(args []string, stdout, stderr io.Writer) int {
	var opts serveOptions
	if code := opts.parse("jabberd check", checkUsage, args, stderr); code >= 0 {
		return code
	}
	cfg, err := opts.load()
	if err != nil {
		fmt.Fprintf(stderr, "jabberd check: %v\n", err)
		return 1
	}
	warnings, err := app.Check(cfg, countAccounts(cfg))
	if err != nil {
		fmt.Fprintf(stderr, "jabberd check: %v\n", err)
		return 1
	}
	out, err := cfg.Print()
	if err != nil {
		fmt.Fprintf(stderr, "jabberd check: %v\n", err)
		return 1
	}
	name := opts.config
	if name == "" {
		name = "the embedded default"
	}
	fmt.Fprintf(stdout, "# effective configuration: %s with the defaults and flags applied; passwords shown as %s\n%s", name, config.HiddenSecret, out)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	plural := "s"
	if len(warnings) == 1 {
		plural = ""
	}
	fmt.Fprintf(stderr, "jabberd check: %s is valid (%d warning%s)\n", name, len(warnings), plural)
	return 0
}

// countAccounts asks the running server how many accounts it has, or
// reads the store when none runs (-1: unknown).
func countAccounts(cfg *config.Config) int {
	resp, err := control.Call(control.Path(cfg.StateDir), control.Request{Command: control.CmdStatus}, 10*time.Second)
	if err == nil && resp.OK && resp.Status != nil {
		return resp.Status.Accounts
	}
	return app.CountAccounts(cfg.StateDir)
}
