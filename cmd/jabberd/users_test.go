package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"jabberd/store"
)

// runUsersT runs `jabberd users args...` with stdin and returns the exit
// code, stdout and stderr.
func runUsersT(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runUsers(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// checkPasswords opens the database and checks each name's password.
func checkPasswords(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	db, err := store.Open(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, pw := range want {
		a, err := db.Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !a.CheckPassword(pw) {
			t.Errorf("%s: password %q does not check", name, pw)
		}
		if a.Password != "" {
			t.Errorf("%s: password kept without legacy_digest", name)
		}
	}
}

func TestUsersRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")

	code, out, errOut := runUsersT(t, "alice-pw\n", "add", "-state", dir, "alice")
	if code != 0 || out != "added alice\n" {
		t.Fatalf("add alice: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Flags before the command work too; the name is prepared; CRLF and a
	// missing final newline are both a line.
	code, out, errOut = runUsersT(t, "bob pw\r\nsecond line\n", "-state", dir, "add", "Bob")
	if code != 0 || out != "added bob (from \"Bob\")\n" {
		t.Fatalf("add Bob: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runUsersT(t, "carol-pw", "add", "-state", dir, "-password-stdin", "carol")
	if code != 0 {
		t.Fatalf("add carol: exit %d, stderr %q", code, errOut)
	}
	code, out, _ = runUsersT(t, "", "list", "-state", dir)
	if code != 0 || out != "alice\nbob\ncarol\n" {
		t.Fatalf("list: exit %d, stdout %q", code, out)
	}
	checkPasswords(t, dir, map[string]string{"alice": "alice-pw", "bob": "bob pw", "carol": "carol-pw"})

	// A duplicate is refused, whatever its spelling, before the password
	// is read, and nothing changes.
	for _, name := range []string{"alice", "ALICE"} {
		code, out, errOut = runUsersT(t, "other\n", "add", "-state", dir, name)
		if code != 1 || out != "" || !strings.Contains(errOut, `the account "alice" already exists`) || !strings.Contains(errOut, "jabberd users passwd alice") {
			t.Errorf("duplicate add %s: exit %d, stdout %q, stderr %q", name, code, out, errOut)
		}
	}

	code, out, errOut = runUsersT(t, "new-alice-pw\n", "passwd", "-state", dir, "Alice")
	if code != 0 || out != "changed the password of alice\n" {
		t.Fatalf("passwd: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	checkPasswords(t, dir, map[string]string{"alice": "new-alice-pw", "bob": "bob pw"})

	code, out, errOut = runUsersT(t, "", "del", "-state", dir, "bob")
	if code != 0 || !strings.HasPrefix(out, "deleted bob") {
		t.Fatalf("del: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runUsersT(t, "", "list", "-state", dir)
	if code != 0 || out != "alice\ncarol\n" {
		t.Errorf("list after del: exit %d, stdout %q", code, out)
	}
	for _, args := range [][]string{{"del", "-state", dir, "bob"}, {"passwd", "-state", dir, "bob"}} {
		code, _, errOut = runUsersT(t, "pw\n", args...)
		if code != 1 || !strings.Contains(errOut, `no account "bob"`) {
			t.Errorf("%s of an absent account: exit %d, stderr %q", args[0], code, errOut)
		}
	}
}

func TestUsersPasswordFromStdinOnly(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ stdin, want string }{
		{"", "standard input is empty"},
		{"\n", "refusing an empty password"},
		{"\r\nsecond\n", "refusing an empty password"},
		{strings.Repeat("x", 5000) + "\n", "longer than 4096 bytes"},
	} {
		code, _, errOut := runUsersT(t, tc.stdin, "add", "-state", dir, "carol")
		if code != 1 || !strings.Contains(errOut, `password for "carol"`) || !strings.Contains(errOut, tc.want) {
			t.Errorf("add with stdin %.20q: exit %d, stderr %q, want %q", tc.stdin, code, errOut, tc.want)
		}
	}
	// A password in the arguments is not a thing: it is an extra argument.
	code, _, errOut := runUsersT(t, "", "add", "-state", dir, "carol", "hunter2")
	if code != 2 || !strings.Contains(errOut, "add takes one user name, got 2") {
		t.Errorf("password as argument: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := runUsersT(t, "", "list", "-state", dir); code != 0 || out != "" {
		t.Errorf("accounts after the refusals: %q", out)
	}
}

func TestUsersLockedDatabase(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runUsersT(t, "pw\n", "add", "-state", dir, "alice"); code != 0 {
		t.Fatalf("add: %s", errOut)
	}
	// The running server holds the database; the command must say so.
	db, err := store.Open(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, args := range [][]string{{"list"}, {"del", "alice"}, {"passwd", "alice"}} {
		start := time.Now()
		code, out, errOut := runUsersT(t, "pw\n", append(args, "-state", dir)...)
		if code != 1 || out != "" || !strings.Contains(errOut, "is held by a jabberd whose control socket") {
			t.Errorf("%s on a locked database: exit %d, stdout %q, stderr %q", args[0], code, out, errOut)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v on a locked database", args[0], d)
		}
	}
}

func TestUsersConfigFile(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "from-config")
	cfg := filepath.Join(dir, "jabberd.toml")
	body := "state_dir = '" + state + "'\n[auth]\nlegacy_digest = true\nscram_iterations = 5000\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runUsersT(t, "dave-pw\n", "add", "-config", cfg, "dave"); code != 0 {
		t.Fatalf("add with -config: exit %d, %s", code, errOut)
	}
	db, err := store.Open(store.Path(state))
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Lookup("dave")
	db.Close()
	if err != nil || a.Password != "dave-pw" || a.SHA256.Iters != 5000 {
		t.Fatalf("dave from -config: %+v, %v (want the password kept and 5000 iterations)", a, err)
	}
	// -state overrides the file's state_dir.
	other := filepath.Join(dir, "other")
	if code, _, errOut := runUsersT(t, "x\n", "add", "-config", cfg, "-state", other, "erin"); code != 0 {
		t.Fatalf("add with -config and -state: %s", errOut)
	}
	if _, err := os.Stat(store.Path(other)); err != nil {
		t.Errorf("-state did not win over state_dir: %v", err)
	}
	if code, _, errOut := runUsersT(t, "", "list", "-config", filepath.Join(dir, "missing.toml")); code != 1 || !strings.Contains(errOut, "missing.toml") {
		t.Errorf("missing config: exit %d, stderr %q", code, errOut)
	}
}

func TestUsersUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage: jabberd users"},
		{[]string{"-h"}, 0, "usage: jabberd users"},
		{[]string{"add", "-h"}, 0, "usage: jabberd users"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"add", "-state", dir}, 2, "add takes one user name, got 0"},
		{[]string{"list", "-state", dir, "extra"}, 2, `list takes no arguments, got "extra"`},
		{[]string{"-bogus", "list"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"add", "-state", dir, "al ice"}, 1, `"al ice" is not a valid user name`},
		{[]string{"add", "-state", dir, "a@b"}, 1, `"a@b" is not a valid user name`},
	} {
		code, _, errOut := runUsersT(t, "pw\n", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("users %q: exit %d, stderr %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

func TestUsersWithoutDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	code, out, errOut := runUsersT(t, "", "list", "-state", dir)
	if code != 0 || out != "" || !strings.Contains(errOut, "no database at") {
		t.Errorf("list without a database: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runUsersT(t, "", "del", "-state", dir, "alice")
	if code != 1 || !strings.Contains(errOut, `no account "alice"`) {
		t.Errorf("del without a database: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("list or del created %s: %v", dir, err)
	}
}

func TestRunDispatchesUsers(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"users"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage: jabberd users") {
		t.Errorf("run users: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	run([]string{"-h"}, &out, &errOut)
	if !strings.Contains(errOut.String(), "jabberd users <command>") {
		t.Errorf("top-level usage does not mention users:\n%s", errOut.String())
	}
}

func TestUsersFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"-state", dir, "add", "a1"},
		{"add", "-state", dir, "a2"},
		{"add", "a3", "-state", dir},
		{"-state", dir, "add", "--", "-dash"}, // after "--" a dash is a name
	} {
		if code, _, errOut := runUsersT(t, "pw\n", args...); code != 0 {
			t.Errorf("users %q: exit %d, %s", args, code, errOut)
		}
	}
	code, out, _ := runUsersT(t, "", "list", "-state", dir)
	if code != 0 || out != "-dash\na1\na2\na3\n" {
		t.Errorf("list: exit %d, %q", code, out)
	}
}
