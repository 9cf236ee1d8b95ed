package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"jabberd/accounts"
	"jabberd/app"
	"jabberd/config"
	"jabberd/control"
	"jabberd/store"
)

// Names in this file start with "users": package main is shared with the
// other commands.

// usersUsage is a format: %s is the database's file name.
const usersUsage = `usage: jabberd users [flags] <command>

commands:
  add NAME      create an account (the password: asked twice on a terminal, else the first line of standard input)
  passwd NAME   set an account's password (read as for add)
  del NAME      delete an account, with its roster and offline messages
  list          print the account names

With jabberd running on the state directory the commands go through its
control socket (STATE_DIR/jabberd.sock) and take effect at once; with none
running they work on STATE_DIR/%s directly. On a terminal the password is
read without echo and asked twice; otherwise it is the first line of
standard input. Accounts the configuration names ([[user]]) are managed
there: passwd and del refuse them. Names are prepared as JIDs are ("Alice"
is the account "alice"). Flags may come anywhere; "--" ends them.

flags:
`

// runUsers implements `jabberd users add|del|list|passwd`; args are after
// "users". Exit 0 ok, 1 failure, 2 usage.
//
// A running server does the command itself (its control socket); without
// one the command opens the database. Passwords never come from the
// command line, where ps shows them.
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
	stdin          io.Reader
	stdout, stderr io.Writer
}

// usersBackend does the commands: the running server through its control
// socket, or the store itself (app.Users) while none runs.
type usersBackend interface {
	Check(op, name string) (string, error)
	Add(name, password string) (string, error)
	Passwd(name, password string) (string, error)
	Del(name string) (string, error)
	List() ([]string, error)
}

func (u *usersCmd) fail(err error) int {
	fmt.Fprintf(u.stderr, "jabberd users %s: %v\n", u.cmd, err)
	return 1
}

// run finds the server or the store and does the command; it returns the
// exit code.
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
	if len(operands) == 1 {
		var err error
		u.given = operands[0]
		if u.name, err = accounts.PrepareUsername(u.given); err != nil {
			return u.fail(err) // the error quotes the name
		}
	}
	// A running server answers on its control socket, and does the
	// command itself, with its own settings.
	sock := socketUsers{path: control.Path(dir)}
	if _, err := sock.List(); err == nil {
		return u.finish(u.do(sock))
	} else if !errors.Is(err, control.ErrNotRunning) {
		return u.fail(err)
	}
	return u.offline(cfg, cfgPath, dir)
}

// offline does the command on the store, no server running.
func (u *usersCmd) offline(cfg *config.Config, cfgPath, dir string) int {
	path := store.Path(dir)
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
	if errors.Is(err, store.ErrLocked) {
		return u.fail(fmt.Errorf("%s is held by a jabberd whose control socket (%s) does not answer: stop it, or run it with a state directory where it can make its socket", path, control.Path(dir)))
	}
	if err != nil {
		return u.fail(err)
	}
	defer db.Close()
	be := app.Users{DB: db, Opt: accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest},
		Domain: cfg.Domain, AutoRoster: cfg.Chat.AutoRoster, ConfigFile: cfgPath}
	if code := u.finish(u.do(be)); code != 0 {
		return code
	}
	if err := db.Close(); err != nil {
		return u.fail(err)
	}
	return 0
}

func (u *usersCmd) finish(err error) int {
	if err != nil {
		return u.fail(err)
	}
	return 0
}

func (u *usersCmd) do(be usersBackend) error {
	if u.cmd == "list" {
		names, err := be.List()
		for _, n := range names {
			fmt.Fprintln(u.stdout, n)
		}
		return err
	}
	// Refusals come before the password is asked for.
	if _, err := be.Check(u.cmd, u.given); err != nil {
		return err
	}
	var out string
	var err error
	switch u.cmd {
	case "del":
		out, err = be.Del(u.given)
	case "add", "passwd":
		var pw string
		if pw, err = readPassword(u.stdin, u.stderr, u.name); err != nil {
			return err
		}
		if u.cmd == "add" {
			out, err = be.Add(u.given, pw)
		} else {
			out, err = be.Passwd(u.given, pw)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(u.stdout, out)
	return nil
}

// socketUsers does the commands in the running server.
type socketUsers struct{ path string }

func (s socketUsers) call(req control.Request) (control.Response, error) {
	resp, err := control.Call(s.path, req, time.Minute)
	if err != nil {
		return resp, err
	}
	if !resp.OK {
		return resp, errors.New(resp.Error)
	}
	return resp, nil
}

func (s socketUsers) out(req control.Request) (string, error) {
	resp, err := s.call(req)
	return resp.Output, err
}

func (s socketUsers) Check(op, name string) (string, error) {
	return s.out(control.Request{Command: control.CmdUsersCheck, Op: op, Name: name})
}

func (s socketUsers) Add(name, password string) (string, error) {
	return s.out(control.Request{Command: control.CmdUsersAdd, Name: name, Password: password})
}

func (s socketUsers) Passwd(name, password string) (string, error) {
	return s.out(control.Request{Command: control.CmdUsersPasswd, Name: name, Password: password})
}

func (s socketUsers) Del(name string) (string, error) {
	return s.out(control.Request{Command: control.CmdUsersDel, Name: name})
}

func (s socketUsers) List() ([]string, error) {
	resp, err := s.call(control.Request{Command: control.CmdUsersList})
	return resp.Names, err
}
