package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"jabberd/accounts"
	"jabberd/config"
	"jabberd/store"
)

// runUsers implements `jabberd users add|del|list|passwd`; args are after
// "users". Exit 0 ok, 1 failure, 2 usage.
//
// The commands open the database themselves, so they work only while the
// server is stopped: a running server holds bbolt's file lock, and the
// command then says so instead of waiting. Passwords come from the first
// line of standard input, never from the command line, where ps shows them.
//
// Helpers are closures, as in runCerts: package main is shared with other
// files, and top-level helper names could collide with theirs.
func runUsers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const maxPasswordBytes = 4096

	fs := flag.NewFlagSet("jabberd users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `usage: jabberd users [flags] <command>

commands:
  add NAME      create an account; the password is the first line of standard input
  passwd NAME   set an account's password from the first line of standard input
  del NAME      delete an account, with its roster and offline messages
  list          print the account names

The commands work on STATE_DIR/%s and only while jabberd is stopped (the
running server keeps the database locked). Names are prepared as JIDs are
("Alice" is the account "alice"). Flags may come anywhere; "--" ends them.

flags:
`, store.FileName)
		fs.PrintDefaults()
	}
	stateDir := fs.String("state", "", "state directory holding the database (default: the configuration's state_dir, "+config.Default().StateDir+" without -config)")
	cfgPath := fs.String("config", "", "configuration file to take state_dir, auth.scram_iterations and auth.legacy_digest from")
	fs.Bool("password-stdin", true, "read the password from standard input (always on: a password in the arguments would show in ps)")

	// Flags may come anywhere (`users del alice -state DIR` as well as
	// `users -state DIR del alice`): flag stops at the first positional
	// argument, so parse again after each one, until a "--" ends the flags.
	// It returns -1 to go on, or the exit code: -h is a successful request
	// for help, anything else flag rejects is a usage error.
	var positional []string
	parse := func(args []string) int {
		for {
			if err := fs.Parse(args); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return 0
				}
				return 2
			}
			rest := fs.Args()
			if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
				positional = append(positional, rest...)
				return -1
			}
			if len(rest) == 0 {
				return -1
			}
			positional = append(positional, rest[0])
			args = rest[1:]
		}
	}
	if code := parse(args); code >= 0 {
		return code
	}
	if len(positional) == 0 {
		fs.Usage()
		return 2
	}
	cmd, operands := positional[0], positional[1:]

	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "jabberd users: %s\n", fmt.Sprintf(format, a...))
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "jabberd users %s: %v\n", cmd, err)
		return 1
	}

	switch cmd {
	case "add", "passwd", "del":
		if len(operands) != 1 {
			return usageErr("%s takes one user name, got %d arguments", cmd, len(operands))
		}
	case "list":
		if len(operands) != 0 {
			return usageErr("list takes no arguments, got %q", operands[0])
		}
	default:
		return usageErr("unknown command %q", cmd)
	}

	cfg := config.Default()
	if *cfgPath != "" {
		var err error
		if cfg, err = loadConfig(*cfgPath); err != nil {
			return fail(err)
		}
	}
	dir := cfg.StateDir
	if *stateDir != "" {
		dir = *stateDir
	}
	opt := accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest}
	path := store.Path(dir)

	var name string
	if len(operands) == 1 {
		var err error
		if name, err = accounts.PrepareUsername(operands[0]); err != nil {
			return fail(err) // the error quotes the name
		}
	}

	// Only add creates a database: the other commands, pointed at a
	// directory without one, say so instead of leaving an empty file.
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && cmd != "add" {
		if cmd == "list" {
			fmt.Fprintf(stderr, "jabberd users list: no database at %s yet, so no accounts\n", path)
			return 0
		}
		return fail(fmt.Errorf("no account %q: there is no database at %s yet", name, path))
	}

	db, err := store.Open(path)
	if err != nil {
		return fail(err) // ErrLocked says "is jabberd running? stop it first"
	}
	defer db.Close()

	// readPassword takes the first line of stdin; a terminal gets a prompt
	// (on stderr, so that stdout stays the command's output).
	readPassword := func() (string, error) {
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			fmt.Fprintf(stderr, "password for %s (it will show as you type; pipe it in to avoid that): ", name)
		}
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 0, 256), maxPasswordBytes)
		if !sc.Scan() {
			if errors.Is(sc.Err(), bufio.ErrTooLong) {
				return "", fmt.Errorf("password for %q: longer than %d bytes", name, maxPasswordBytes)
			}
			if sc.Err() != nil {
				return "", fmt.Errorf("password for %q: read standard input: %w", name, sc.Err())
			}
			return "", fmt.Errorf("password for %q: standard input is empty (give the password as its first line)", name)
		}
		pw := sc.Text() // without the line end (\n or \r\n)
		if pw == "" {
			return "", fmt.Errorf("password for %q: refusing an empty password", name)
		}
		return pw, nil
	}
	lookup := func() (*accounts.Account, error) {
		a, err := db.Lookup(name)
		if errors.Is(err, accounts.ErrNotFound) {
			return nil, fmt.Errorf("no account %q (\"jabberd users list\" shows the accounts)", name)
		}
		return a, err
	}

	switch cmd {
	case "list":
		names, err := db.ListAccounts()
		if err != nil {
			return fail(err)
		}
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
	case "add":
		if _, err := db.Lookup(name); err == nil {
			return fail(fmt.Errorf("the account %q already exists (\"jabberd users passwd %s\" changes its password)", name, name))
		} else if !errors.Is(err, accounts.ErrNotFound) {
			return fail(err)
		}
		pw, err := readPassword()
		if err != nil {
			return fail(err)
		}
		a, err := accounts.NewAccount(name, pw, opt)
		if err != nil {
			return fail(fmt.Errorf("user %q: %w", name, err))
		}
		if err := db.PutAccount(a); err != nil {
			return fail(err)
		}
		if name != operands[0] {
			fmt.Fprintf(stdout, "added %s (from %q)\n", name, operands[0])
		} else {
			fmt.Fprintf(stdout, "added %s\n", name)
		}
	case "passwd":
		a, err := lookup()
		if err != nil {
			return fail(err)
		}
		pw, err := readPassword()
		if err != nil {
			return fail(err)
		}
		if err := a.SetPassword(pw, opt); err != nil {
			return fail(fmt.Errorf("user %q: %w", name, err))
		}
		if !opt.KeepPassword {
			a.Password = "" // the digest is off: drop a password kept from when it was on
		}
		if err := db.PutAccount(a); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "changed the password of %s\n", name)
	case "del":
		if _, err := lookup(); err != nil {
			return fail(err)
		}
		if err := db.DeleteAccount(name); err != nil {
			return fail(err)
		}
		// Its subscriptions in other rosters go too: a new account of the
		// same name must not inherit them.
		if err := db.ForgetContact(name + "@" + cfg.Domain); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "deleted %s, with its roster, offline messages and its place in other rosters\n", name)
	}
	if err := db.Close(); err != nil {
		return fail(err)
	}
	return 0
}
