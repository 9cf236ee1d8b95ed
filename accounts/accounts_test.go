package accounts_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xdg-go/scram"

	"jabberd/accounts"
)

func TestPrepareUsernameAccepts(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"ALICE", "alice"},
		{"ＡＬＩＣＥ", "alice"}, // full-width letters: width mapping, then case mapping
		{"ａｌｉｃｅ", "alice"},
		{"Ålice", "ålice"},
		{"bob.smith-1_2", "bob.smith-1_2"},
		{strings.Repeat("a", 1023), strings.Repeat("a", 1023)},
	} {
		got, err := accounts.PrepareUsername(tc.in)
		if err != nil {
			t.Errorf("PrepareUsername(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("PrepareUsername(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPrepareUsernameRefuses(t *testing.T) {
	for _, tc := range []struct{ in, wantErr string }{
		{"al ice", `"al ice" is not a valid user name: precis: disallowed rune encountered`},
		{" alice", `" alice" is not a valid user name: precis: disallowed rune encountered`},
		{"alice\t", `"alice\t" is not a valid user name: precis: disallowed rune encountered`},
		{"a@b", `"a@b" is not a valid user name: '@' may not appear in a JID localpart`},
		{"a/b", `"a/b" is not a valid user name: '/' may not appear in a JID localpart`},
		{"a:b", `"a:b" is not a valid user name: ':' may not appear in a JID localpart`},
		{"a<b", `"a<b" is not a valid user name: '<' may not appear in a JID localpart`},
		{"a>b", `"a>b" is not a valid user name: '>' may not appear in a JID localpart`},
		{"a&b", `"a&b" is not a valid user name: '&' may not appear in a JID localpart`},
		{"a'b", `"a'b" is not a valid user name: '\'' may not appear in a JID localpart`},
		{`a"b`, `"a\"b" is not a valid user name: '"' may not appear in a JID localpart`},
		// Full-width '@' width-maps to '@' and must be refused after mapping.
		{"a＠b", `"a＠b" is not a valid user name: '@' may not appear in a JID localpart`},
		{strings.Repeat("a", 1024), `user name is longer than 1023 bytes`},
		{strings.Repeat("é", 512), `user name is longer than 1023 bytes`}, // 1024 bytes, 512 runes
	} {
		got, err := accounts.PrepareUsername(tc.in)
		if err == nil {
			t.Errorf("PrepareUsername(%q) = %q, want error %q", tc.in, got, tc.wantErr)
			continue
		}
		if got != "" {
			t.Errorf("PrepareUsername(%q) returned %q together with an error", tc.in, got)
		}
		if err.Error() != tc.wantErr {
			t.Errorf("PrepareUsername(%q) error = %q, want %q", tc.in, err.Error(), tc.wantErr)
		}
	}
}

// An empty localpart is never valid (RFC 8265 §3.3.1 and RFC 7622 §3.3:
// zero bytes is not allowed). golang.org/x/text's UsernameCaseMapped profile
// does not carry the DisallowEmpty option, so PrepareUsername must refuse ""
// itself.
func TestPrepareUsernameRefusesEmpty(t *testing.T) {
	got, err := accounts.PrepareUsername("")
	if err == nil {
		t.Errorf(`PrepareUsername("") = %q, nil; want an error`, got)
	} else if !strings.HasPrefix(err.Error(), `"" is not a valid user name`) {
		t.Errorf(`PrepareUsername("") error = %q, want it to start with %q`, err.Error(), `"" is not a valid user name`)
	}
	if a, err := accounts.NewAccount("", "pw", accounts.Options{Iterations: 1000}); err == nil {
		t.Errorf(`NewAccount("", ...) made an account named %q`, a.Name)
	}
	if _, err := accounts.FromUsers([]accounts.User{{Name: "", Password: "pw"}}, accounts.Options{Iterations: 1000}); err == nil {
		t.Error(`FromUsers accepted a user with an empty name`)
	}
}

func TestPrepareResource(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"laptop", "laptop"},
		{"Laptop Home", "Laptop Home"}, // case and spaces are kept
		{"a\u00a0b", "a b"},            // non-ASCII space → ASCII space
		{"e\u0301", "\u00e9"},          // NFC
		{"a/b@c", "a/b@c"},             // anything goes in a resource
		{strings.Repeat("r", 1023), strings.Repeat("r", 1023)},
	} {
		got, err := accounts.PrepareResource(tc.in)
		if err != nil {
			t.Errorf("PrepareResource(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("PrepareResource(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, wantErr string }{
		{"", `"" is not a valid resource`},
		{"a\x00b", `"a\x00b" is not a valid resource`},
		{"bell\a", `"bell\a" is not a valid resource`},
		{strings.Repeat("r", 1024), `resource is longer than 1023 bytes`},
	} {
		got, err := accounts.PrepareResource(tc.in)
		if err == nil {
			t.Errorf("PrepareResource(%q) = %q, want error %q", tc.in, got, tc.wantErr)
			continue
		}
		if err.Error() != tc.wantErr {
			t.Errorf("PrepareResource(%q) error = %q, want %q", tc.in, err.Error(), tc.wantErr)
		}
	}
}

func TestPreparePassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"secret", "secret"},
		{"Secret", "Secret"}, // no case mapping for passwords
		{"two words", "two words"},
		{"a\u00a0b", "a b"},
		{"e\u0301t\u00e9", "\u00e9t\u00e9"},
	} {
		got, err := accounts.PreparePassword(tc.in)
		if err != nil {
			t.Errorf("PreparePassword(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("PreparePassword(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, wantErr string }{
		{"", "password is not valid: precis: transformation resulted in empty string"},
		{"a\x07b", "password is not valid: precis: disallowed rune encountered"},
	} {
		_, err := accounts.PreparePassword(tc.in)
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("PreparePassword(%q) error = %v, want %q", tc.in, err, tc.wantErr)
		}
	}
}

func mustAccount(t *testing.T, name, pw string, opt accounts.Options) *accounts.Account {
	t.Helper()
	a, err := accounts.NewAccount(name, pw, opt)
	if err != nil {
		t.Fatalf("NewAccount(%q): %v", name, err)
	}
	return a
}

func TestNewAccountAndCheckPassword(t *testing.T) {
	a := mustAccount(t, "Alice", "s3cret", accounts.Options{})
	if a.Name != "alice" {
		t.Errorf("Name = %q, want %q", a.Name, "alice")
	}
	if !a.HasCredentials() {
		t.Fatal("HasCredentials() = false for an account with a password")
	}
	if a.Password != "" {
		t.Errorf("Password = %q without KeepPassword, want empty", a.Password)
	}
	if a.Disabled {
		t.Error("a new account is disabled")
	}
	if a.SHA256.Iters != 4096 || a.SHA1.Iters != 4096 {
		t.Errorf("iterations = %d/%d, want the default 4096", a.SHA1.Iters, a.SHA256.Iters)
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{
		{"s3cret", true},
		{"S3cret", false},
		{"s3cre", false},
		{"s3cret ", false},
		{"", false},
		{"s3cret\x00", false},
	} {
		if got := a.CheckPassword(tc.pw); got != tc.want {
			t.Errorf("CheckPassword(%q) = %v, want %v", tc.pw, got, tc.want)
		}
	}
}

func TestCheckPasswordNormalization(t *testing.T) {
	composed := "caf\u00e9"    // é as one code point
	decomposed := "cafe\u0301" // e + combining acute
	a := mustAccount(t, "bob", decomposed, accounts.Options{Iterations: 1000})
	if !a.CheckPassword(composed) {
		t.Error("composed form of the password does not match credentials made from the decomposed form")
	}
	if !a.CheckPassword(decomposed) {
		t.Error("the very password does not match")
	}
	if a.CheckPassword("cafe") {
		t.Error("password without the accent matches")
	}
	b := mustAccount(t, "carol", composed, accounts.Options{Iterations: 1000})
	if !b.CheckPassword(decomposed) {
		t.Error("decomposed form of the password does not match credentials made from the composed form")
	}
	// Non-ASCII space is mapped to ASCII space by OpaqueString.
	c := mustAccount(t, "dave", "a b", accounts.Options{Iterations: 1000})
	if !c.CheckPassword("a\u00a0b") {
		t.Error("NO-BREAK SPACE does not match the ASCII space after OpaqueString mapping")
	}
}

func TestIterationsOption(t *testing.T) {
	a := mustAccount(t, "alice", "pw", accounts.Options{Iterations: 1234})
	if a.SHA1.Iters != 1234 || a.SHA256.Iters != 1234 {
		t.Errorf("iterations = %d/%d, want 1234", a.SHA1.Iters, a.SHA256.Iters)
	}
	if !a.CheckPassword("pw") {
		t.Error("CheckPassword fails with custom iterations")
	}
	b := mustAccount(t, "bob", "pw", accounts.Options{Iterations: -5})
	if b.SHA256.Iters != 4096 {
		t.Errorf("negative iterations gave %d, want the default 4096", b.SHA256.Iters)
	}
}

func TestAccountWithoutPassword(t *testing.T) {
	a := mustAccount(t, "certonly", "", accounts.Options{KeepPassword: true})
	if a.HasCredentials() {
		t.Error("HasCredentials() = true for an account made without a password")
	}
	if a.CheckPassword("") || a.CheckPassword("anything") {
		t.Error("CheckPassword succeeded on an account without credentials")
	}
	if a.Password != "" {
		t.Errorf("Password = %q, want empty", a.Password)
	}
	if _, ok := a.Credentials("SHA-256"); ok {
		t.Error(`Credentials("SHA-256") reported ok for an account without a password`)
	}
	if _, ok := a.Credentials("SHA-1"); ok {
		t.Error(`Credentials("SHA-1") reported ok for an account without a password`)
	}
}

func TestNewAccountErrors(t *testing.T) {
	_, err := accounts.NewAccount("a b", "pw", accounts.Options{})
	if err == nil || err.Error() != `"a b" is not a valid user name: precis: disallowed rune encountered` {
		t.Errorf("NewAccount(bad name) error = %v", err)
	}
	_, err = accounts.NewAccount("alice", "bad\x07", accounts.Options{})
	if err == nil || err.Error() != "password is not valid: precis: disallowed rune encountered" {
		t.Errorf("NewAccount(bad password) error = %v", err)
	}
}

func TestCredentials(t *testing.T) {
	a := mustAccount(t, "alice", "pw", accounts.Options{Iterations: 1000})
	c1, ok1 := a.Credentials("SHA-1")
	c256, ok256 := a.Credentials("SHA-256")
	if !ok1 || !ok256 {
		t.Fatalf("Credentials ok = %v (SHA-1), %v (SHA-256), want both true", ok1, ok256)
	}
	if len(c1.StoredKey) != 20 || len(c1.ServerKey) != 20 {
		t.Errorf("SHA-1 key lengths = %d/%d, want 20/20", len(c1.StoredKey), len(c1.ServerKey))
	}
	if len(c256.StoredKey) != 32 || len(c256.ServerKey) != 32 {
		t.Errorf("SHA-256 key lengths = %d/%d, want 32/32", len(c256.StoredKey), len(c256.ServerKey))
	}
	if bytes.HasPrefix(c256.StoredKey, c1.StoredKey) || bytes.Equal(c1.ServerKey, c256.ServerKey[:20]) {
		t.Error("SHA-1 and SHA-256 credentials look the same")
	}
	if !bytes.Equal(c1.StoredKey, a.SHA1.StoredKey) || !bytes.Equal(c256.StoredKey, a.SHA256.StoredKey) {
		t.Error("Credentials does not return the account's fields")
	}
	if len(a.SHA256.Salt) != 16 || len(a.SHA1.Salt) != 16 {
		t.Errorf("salt lengths = %d/%d, want 16", len(a.SHA1.Salt), len(a.SHA256.Salt))
	}
	for _, name := range []string{"", "SHA1", "sha-256", "SHA-512", "MD5"} {
		if _, ok := a.Credentials(name); ok {
			t.Errorf("Credentials(%q) reported ok", name)
		}
	}
}

func TestSaltsAreRandomPerAccount(t *testing.T) {
	a := mustAccount(t, "alice", "same", accounts.Options{Iterations: 1000})
	b := mustAccount(t, "bob", "same", accounts.Options{Iterations: 1000})
	if a.SHA256.Salt == b.SHA256.Salt {
		t.Error("two accounts share the SHA-256 salt")
	}
	if a.SHA1.Salt == b.SHA1.Salt {
		t.Error("two accounts share the SHA-1 salt")
	}
	if bytes.Equal(a.SHA256.StoredKey, b.SHA256.StoredKey) {
		t.Error("same password gives the same SHA-256 StoredKey for two accounts")
	}
	if bytes.Equal(a.SHA1.StoredKey, b.SHA1.StoredKey) {
		t.Error("same password gives the same SHA-1 StoredKey for two accounts")
	}
	// Setting the password again re-salts.
	old := a.SHA256
	if err := a.SetPassword("same", accounts.Options{Iterations: 1000}); err != nil {
		t.Fatal(err)
	}
	if a.SHA256.Salt == old.Salt || bytes.Equal(a.SHA256.StoredKey, old.StoredKey) {
		t.Error("SetPassword did not make fresh salted credentials")
	}
	if !a.CheckPassword("same") {
		t.Error("CheckPassword fails after SetPassword")
	}
}

func TestKeepPassword(t *testing.T) {
	a := mustAccount(t, "alice", "cafe\u0301\u00a0x", accounts.Options{KeepPassword: true, Iterations: 1000})
	if want := "caf\u00e9 x"; a.Password != want {
		t.Errorf("Password = %q, want the prepared %q", a.Password, want)
	}
	if !a.HasCredentials() || !a.CheckPassword("caf\u00e9 x") {
		t.Error("KeepPassword account has no working SCRAM credentials")
	}
	b := mustAccount(t, "bob", "pw", accounts.Options{KeepPassword: false, Iterations: 1000})
	if b.Password != "" {
		t.Errorf("Password = %q without KeepPassword, want empty", b.Password)
	}
}

func TestFromUsersAndLookup(t *testing.T) {
	s, err := accounts.FromUsers([]accounts.User{
		{Name: "Alice", Password: "a"},
		{Name: "bob", Password: "b"},
		{Name: "cert", Password: ""},
	}, accounts.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 {
		t.Errorf("Len() = %d, want 3", s.Len())
	}
	a, err := s.Lookup("alice")
	if err != nil {
		t.Fatalf(`Lookup("alice"): %v`, err)
	}
	if a.Name != "alice" || !a.CheckPassword("a") || a.CheckPassword("b") {
		t.Errorf("alice = %+v, password check wrong", a.Name)
	}
	// Lookup takes a prepared name: the unprepared form is not found.
	for _, name := range []string{"Alice", "nobody", ""} {
		got, err := s.Lookup(name)
		if !errors.Is(err, accounts.ErrNotFound) || got != nil {
			t.Errorf("Lookup(%q) = %v, %v, want nil, ErrNotFound", name, got, err)
		}
	}
	if accounts.ErrNotFound.Error() != "no such account" {
		t.Errorf("ErrNotFound text = %q", accounts.ErrNotFound.Error())
	}
	c, err := s.Lookup("cert")
	if err != nil || c.HasCredentials() {
		t.Errorf("cert account: %v, HasCredentials=%v", err, c != nil && c.HasCredentials())
	}

	// Put replaces.
	repl := mustAccount(t, "bob", "new", accounts.Options{Iterations: 1000})
	s.Put(repl)
	if got, _ := s.Lookup("bob"); got != repl || s.Len() != 3 {
		t.Error("Put did not replace bob")
	}
}

func TestFromUsersRefusesCollisions(t *testing.T) {
	for _, tc := range []struct {
		users   []accounts.User
		wantErr string
	}{
		{
			[]accounts.User{{"alice", "a"}, {"Alice", "b"}},
			`users "Alice" and another both prepare to the account "alice"`,
		},
		{
			[]accounts.User{{"ＢＯＢ", "a"}, {"bob", "b"}},
			`users "bob" and another both prepare to the account "bob"`,
		},
		{
			[]accounts.User{{"carol", "a"}, {"carol", "a"}},
			`users "carol" and another both prepare to the account "carol"`,
		},
		{
			[]accounts.User{{"ok", "a"}, {"bad name", "b"}},
			`user "bad name": "bad name" is not a valid user name: precis: disallowed rune encountered`,
		},
		{
			[]accounts.User{{"x@y", "a"}},
			`user "x@y": "x@y" is not a valid user name: '@' may not appear in a JID localpart`,
		},
	} {
		s, err := accounts.FromUsers(tc.users, accounts.Options{Iterations: 1000})
		if err == nil {
			t.Errorf("FromUsers(%v) succeeded, want error %q", tc.users, tc.wantErr)
			continue
		}
		if s != nil {
			t.Errorf("FromUsers(%v) returned a store with an error", tc.users)
		}
		if err.Error() != tc.wantErr {
			t.Errorf("FromUsers(%v) error = %q, want %q", tc.users, err.Error(), tc.wantErr)
		}
	}
}

// scramRun runs one SCRAM conversation between an xdg-go client and server
// and returns the server's error (nil on success) and whether the client
// validated the server signature.
func scramRun(t *testing.T, h scram.HashGeneratorFcn, lookup scram.CredentialLookup, user, pw string) (serverErr error, clientValid bool) {
	t.Helper()
	srv, err := h.NewServer(lookup)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := h.NewClient(user, pw, "")
	if err != nil {
		t.Fatal(err)
	}
	sc, cc := srv.NewConversation(), cli.NewConversation()
	c1, err := cc.Step("")
	if err != nil {
		t.Fatal(err)
	}
	s1, err := sc.Step(c1)
	if err != nil {
		return err, false
	}
	c2, err := cc.Step(s1)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := sc.Step(c2)
	if err != nil {
		return err, false
	}
	if _, err := cc.Step(s2); err != nil {
		return nil, false
	}
	if !sc.Valid() || sc.Username() != user {
		t.Errorf("server conversation: Valid=%v Username=%q", sc.Valid(), sc.Username())
	}
	return nil, cc.Valid()
}

func TestSCRAMInterop(t *testing.T) {
	store, err := accounts.FromUsers([]accounts.User{{Name: "alice", Password: "correct horse"}}, accounts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(hash string) scram.CredentialLookup {
		return func(user string) (scram.StoredCredentials, error) {
			a, err := store.Lookup(user)
			if err != nil {
				return scram.StoredCredentials{}, err
			}
			c, ok := a.Credentials(hash)
			if !ok {
				return scram.StoredCredentials{}, errors.New("no credentials")
			}
			return c, nil
		}
	}
	direct := func(user string) (scram.StoredCredentials, error) {
		a, err := store.Lookup(user)
		if err != nil {
			return scram.StoredCredentials{}, err
		}
		return a.SHA256, nil
	}

	if err, valid := scramRun(t, scram.SHA256, direct, "alice", "correct horse"); err != nil || !valid {
		t.Errorf("SCRAM-SHA-256 with the right password: server error %v, client valid %v", err, valid)
	}
	if err, _ := scramRun(t, scram.SHA256, direct, "alice", "wrong horse"); err == nil {
		t.Error("SCRAM-SHA-256 with a wrong password: server accepted")
	}
	if err, _ := scramRun(t, scram.SHA256, direct, "nobody", "correct horse"); err == nil {
		t.Error("SCRAM-SHA-256 for an unknown user: server accepted")
	}
	if err, valid := scramRun(t, scram.SHA1, lookup("SHA-1"), "alice", "correct horse"); err != nil || !valid {
		t.Errorf("SCRAM-SHA-1 with the right password: server error %v, client valid %v", err, valid)
	}
	if err, _ := scramRun(t, scram.SHA1, lookup("SHA-1"), "alice", "Correct horse"); err == nil {
		t.Error("SCRAM-SHA-1 with a wrong password: server accepted")
	}
	// SHA-1 credentials must not satisfy a SHA-256 conversation.
	if err, _ := scramRun(t, scram.SHA256, lookup("SHA-1"), "alice", "correct horse"); err == nil {
		t.Error("SCRAM-SHA-256 accepted the SHA-1 credentials")
	}
}
