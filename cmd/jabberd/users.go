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

// Names in this file start with "users": package main is shared with the
// other commands.

const usersMaxPasswordBytes = 4096

// usersUsage is a format: %s is the database's file name.
const usersUsage = `usage: jabberd users [flags] <command>

commands:
  add NAME      create an account; the password is the first line of standard input
  passwd NAME   set an account's password from the first line of standard input
  del NAME      delete an account, with its roster and offline messages
  list          print the account names

The commands work on STATE_DIR/%s and only while jabberd is stopped (the
running server keeps the database locked). Names are prepared as JIDs are
("Alice" is the account "alice"). Flags may come anywhere; "--" ends them.

flags:
`

// runUsers implements `jabberd users add|del|list|passwd`; args are after
// "users". Exit 0 ok, 1 failure, 2 usage.
//
// The commands open the database themselves, so they work only while the
// server is stopped: a running server holds bbolt's file lock, and the
// command then says so instead of waiting. Passwords come from the first
// line of standard input, never from the command line, where ps shows them.
func runUsers(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jabberd users", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usersUsage, store.FileName)
		fs.PrintDefaults()
	}
	stateDir := fs.String("state", "", "state directory holding the database (default: the configuration's state_dir, "+config.Default().StateDir+" without -config)")
	cfgPath := fs.String("config", "", "configuration file to take state_dir, auth.scram_iterations and auth.legacy_digest from")
	fs.Bool("password-stdin", true, "read the password from standard input (always on: a password in the arguments would show in ps)")

	positional, code := usersParse(fs, args)
	if code >= 0 {
		return code
	}
	if len(positional) == 0 {
		fs.Usage()
		return 2
	}
	cmd, operands := positional[0], positional[1:]
	if err := usersCheckArgs(cmd, operands); err != nil {
		fmt.Fprintf(stderr, "jabberd users: %v\n", err)
		fs.Usage()
		return 2
	}
	u := &usersCmd{cmd: cmd, stdin: stdin, stdout: stdout, stderr: stderr}
	return u.run(*cfgPath, *stateDir, operands)
}

// usersParse lets flags come anywhere (`users del alice -state DIR` as
// well as `users -state DIR del alice`): flag stops at the first
// positional argument, so parse again after each one, until a "--" ends
// the flags. It returns the positional arguments and -1 to go on, or the
// exit code: -h is a successful request for help, anything else flag
// rejects is a usage error.
func usersParse(fs *flag.FlagSet, args []string) ([]string, int) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			return nil, 2
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), -1
		}
		if len(rest) == 0 {
			return positional, -1
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usersCheckArgs checks the command and its number of operands; the error
// is a usage error.
func usersCheckArgs(cmd string, operands []string) error {
	switch cmd {
	case "add", "passwd", "del":
		if len(operands) != 1 {
			return fmt.Errorf("%s takes one user name, got %d arguments", cmd, len(operands))
		}
	case "list":
		if len(operands) != 0 {
			return fmt.Errorf("list takes no arguments, got %q", operands[0])
		}
	default:
		return fmt.Errorf("unknown command %q", cmd)
	}
	return nil
}

// usersCmd is one users command being run.
type usersCmd struct {
	cmd            string
	given, name    string // the account as given, and prepared ("Alice", "alice")
	opt            accounts.Options
	domain         string
	db             *store.DB
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (u *usersCmd) fail(err error) int {
	fmt.Fprintf(u.stderr, "jabberd users %s: %v\n", u.cmd, err)
	return 1
}

// run takes the settings from the configuration, opens the database and
// does the command; it returns the exit code.
func (u *usersCmd) run(cfgPath, stateDir string, operands []string) int {
	cfg := config.Default()
	if cfgPath != "" {
		var err error
		if cfg, err = loadConfig(cfgPath); err != nil {
			return u.fail(err)
		}
	}
	dir := cfg.StateDir
	if stateDir != "" {
		dir = stateDir
	}
	u.opt = accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest}
	u.domain = cfg.Domain
	path := store.Path(dir)

	if len(operands) == 1 {
		var err error
		u.given = operands[0]
		if u.name, err = accounts.PrepareUsername(u.given); err != nil {
			return u.fail(err) // the error quotes the name
		}
	}

	// Only add creates a database: the other commands, pointed at a
	// directory without one, say so instead of leaving an empty file.
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && u.cmd != "add" {
		if u.cmd == "list" {
			fmt.Fprintf(u.stderr, "jabberd users list: no database at %s yet, so no accounts\n", path)
			return 0
		}
		return u.fail(fmt.Errorf("no account %q: there is no database at %s yet", u.name, path))
	}

	db, err := store.Open(path)
	if err != nil {
		return u.fail(err) // ErrLocked says "is jabberd running? stop it first"
	}
	defer db.Close()
	u.db = db
	if err := u.do(); err != nil {
		return u.fail(err)
	}
	if err := db.Close(); err != nil {
		return u.fail(err)
	}
	return 0
}

func (u *usersCmd) do() error {
	switch u.cmd {
	case "list":
		return u.list()
	case "add":
		return u.add()
	case "passwd":
		return u.passwd()
	case "del":
		return u.del()
	}
	return nil // usersCheckArgs lets no other command through
}

func (u *usersCmd) list() error {
	names, err := u.db.ListAccounts()
	if err != nil {
		return err
	}
	for _, n := range names {
		fmt.Fprintln(u.stdout, n)
	}
	return nil
}

func (u *usersCmd) add() error {
	if _, err := u.db.Lookup(u.name); err == nil {
		return fmt.Errorf("the account %q already exists (\"jabberd users passwd %s\" changes its password)", u.name, u.name)
	} else if !errors.Is(err, accounts.ErrNotFound) {
		return err
	}
	pw, err := u.readPassword()
	if err != nil {
		return err
	}
	a, err := accounts.NewAccount(u.name, pw, u.opt)
	if err != nil {
		return fmt.Errorf("user %q: %w", u.name, err)
	}
	if err := u.db.PutAccount(a); err != nil {
		return err
	}
	if u.name != u.given {
		fmt.Fprintf(u.stdout, "added %s (from %q)\n", u.name, u.given)
	} else {
		fmt.Fprintf(u.stdout, "added %s\n", u.name)
	}
	return nil
}

func (u *usersCmd) passwd() error {
	a, err := u.lookup()
	if err != nil {
		return err
	}
	pw, err := u.readPassword()
	if err != nil {
		return err
	}
	if err := a.SetPassword(pw, u.opt); err != nil {
		return fmt.Errorf("user %q: %w", u.name, err)
	}
	if !u.opt.KeepPassword {
		a.Password = "" // the digest is off: drop a password kept from when it was on
	}
	if err := u.db.PutAccount(a); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "changed the password of %s\n", u.name)
	return nil
}

func (u *usersCmd) del() error {
	if _, err := u.lookup(); err != nil {
		return err
	}
	if err := u.db.DeleteAccount(u.name); err != nil {
		return err
	}
	// Its subscriptions in other rosters go too: a new account of the
	// same name must not inherit them.
	if err := u.db.ForgetContact(u.name + "@" + u.domain); err != nil {
		return err
	}
	fmt.Fprintf(u.stdout, "deleted %s, with its roster, offline messages and its place in other rosters\n", u.name)
	return nil
}

// lookup is db.Lookup with a not-found error that says what to do.
func (u *usersCmd) lookup() (*accounts.Account, error) {
	a, err := u.db.Lookup(u.name)
	if errors.Is(err, accounts.ErrNotFound) {
		return nil, fmt.Errorf("no account %q (\"jabberd users list\" shows the accounts)", u.name)
	}
	return a, err
}

// readPassword takes the first line of stdin; a terminal gets a prompt
// (on stderr, so that stdout stays the command's output).
func (u *usersCmd) readPassword() (string, error) {
	if f, ok := u.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(u.stderr, "password for %s (it will show as you type; pipe it in to avoid that): ", u.name)
	}
	sc := bufio.NewScanner(u.stdin)
	sc.Buffer(make([]byte, 0, 256), usersMaxPasswordBytes)
	if !sc.Scan() {
		if errors.Is(sc.Err(), bufio.ErrTooLong) {
			return "", fmt.Errorf("password for %q: longer than %d bytes", u.name, usersMaxPasswordBytes)
		}
		if sc.Err() != nil {
			return "", fmt.Errorf("password for %q: read standard input: %w", u.name, sc.Err())
		}
		return "", fmt.Errorf("password for %q: standard input is empty (give the password as its first line)", u.name)
	}
	pw := sc.Text() // without the line end (\n or \r\n)
	if pw == "" {
		return "", fmt.Errorf("password for %q: refusing an empty password", u.name)
	}
	return pw, nil
}
