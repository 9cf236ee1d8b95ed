package store

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"jabberd/accounts"
)

func TestAccountsSurviveReopen(t *testing.T) {
	db, path := openT(t)
	alice := mustAccount(t, "alice", "alice-pw")
	alice.Disabled = true
	carol, err := accounts.NewAccount("carol", "carol-pw", accounts.Options{Iterations: 5000, KeepPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	certOnly := &accounts.Account{Name: "dave"}
	for _, a := range []*accounts.Account{alice, carol, certOnly} {
		if err := db.PutAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Lookup("alice")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CheckPassword("alice-pw") || got.CheckPassword("wrong") {
		t.Error("alice's password does not check after reopen")
	}
	if !got.Disabled || got.Password != "" {
		t.Errorf("alice: Disabled=%v Password=%q, want disabled and no password kept", got.Disabled, got.Password)
	}
	for _, h := range []string{"SHA-1", "SHA-256"} {
		want, _ := alice.Credentials(h)
		have, ok := got.Credentials(h)
		if !ok || have.Salt != want.Salt || have.Iters != want.Iters ||
			!bytes.Equal(have.StoredKey, want.StoredKey) || !bytes.Equal(have.ServerKey, want.ServerKey) {
			t.Errorf("%s credentials changed across reopen", h)
		}
	}
	got, err = db.Lookup("carol")
	if err != nil {
		t.Fatal(err)
	}
	if got.Password != "carol-pw" || got.SHA256.Iters != 5000 || !got.CheckPassword("carol-pw") {
		t.Errorf("carol: password %q, iterations %d", got.Password, got.SHA256.Iters)
	}
	got, err = db.Lookup("dave")
	if err != nil || got.HasCredentials() {
		t.Errorf("certificate-only dave: %+v, %v", got, err)
	}

	// The password is on disk only when it was kept.
	db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAccounts)
		if bytes.Contains(b.Get([]byte("alice")), []byte("password")) {
			t.Errorf("alice's record holds a password field: %s", b.Get([]byte("alice")))
		}
		if !bytes.Contains(b.Get([]byte("carol")), []byte(`"password":"carol-pw"`)) {
			t.Errorf("carol's record lacks her kept password: %s", b.Get([]byte("carol")))
		}
		return nil
	})
}

func TestLookupAbsent(t *testing.T) {
	db, _ := openT(t)
	for _, name := range []string{"nobody", ""} {
		if _, err := db.Lookup(name); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("Lookup(%q) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestPutAccountRefusesUnpreparedName(t *testing.T) {
	db, _ := openT(t)
	a := mustAccount(t, "alice", "pw")
	a.Name = "Alice"
	if err := db.PutAccount(a); err == nil || !strings.Contains(err.Error(), `"Alice" is not prepared`) {
		t.Errorf("PutAccount(Alice) = %v", err)
	}
	if names, _ := db.ListAccounts(); len(names) != 0 {
		t.Errorf("accounts after the refusal: %v", names)
	}
}

func TestPutAccountReplaces(t *testing.T) {
	db, _ := openT(t)
	if err := db.PutAccount(mustAccount(t, "alice", "one")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAccount(mustAccount(t, "alice", "two")); err != nil {
		t.Fatal(err)
	}
	a, err := db.Lookup("alice")
	if err != nil || !a.CheckPassword("two") || a.CheckPassword("one") {
		t.Errorf("replaced account: %v", err)
	}
}

func TestListAccountsSorted(t *testing.T) {
	db, _ := openT(t)
	if names, err := db.ListAccounts(); err != nil || len(names) != 0 {
		t.Fatalf("empty database lists %v, %v", names, err)
	}
	for _, n := range []string{"zoe", "alice", "mallory", "bob"} {
		if err := db.PutAccount(&accounts.Account{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	names, err := db.ListAccounts()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice", "bob", "mallory", "zoe"}; !slices.Equal(names, want) {
		t.Errorf("ListAccounts = %v, want %v", names, want)
	}
}

func TestDeleteAccountCascades(t *testing.T) {
	db, _ := openT(t)
	for _, n := range []string{"alice", "bob"} {
		if err := db.PutAccount(mustAccount(t, n, n+"-pw")); err != nil {
			t.Fatal(err)
		}
		put(t, db, n, "carol@example.org", RosterItem{Subscription: SubBoth})
		put(t, db, n, "mallory@example.org", RosterItem{PendingIn: true, PendingInStanza: []byte("<presence type='subscribe'/>"), Hidden: true})
		if err := db.StoreOffline(n, []byte("<message/>"), 0); err != nil {
			t.Fatal(err)
		}
	}

	if err := db.DeleteAccount("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lookup("alice"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("Lookup after delete: %v", err)
	}
	if items, ver, err := db.Roster("alice"); err != nil || len(items) != 0 || ver != 0 {
		t.Errorf("alice's roster after delete: %v at version %d, %v", items, ver, err)
	}
	if _, found, _ := db.RosterItem("alice", "mallory@example.org"); found {
		t.Error("alice's pending request survived her deletion")
	}
	if n, err := db.CountOffline("alice"); err != nil || n != 0 {
		t.Errorf("alice's offline messages after delete: %d, %v", n, err)
	}

	// Bob is untouched.
	if items, ver, err := db.Roster("bob"); err != nil || len(items) != 2 || ver != 2 {
		t.Errorf("bob's roster: %d items at version %d, %v", len(items), ver, err)
	}
	if n, _ := db.CountOffline("bob"); n != 1 {
		t.Errorf("bob's offline count %d", n)
	}

	err := db.DeleteAccount("alice")
	if !errors.Is(err, accounts.ErrNotFound) || !strings.Contains(err.Error(), `"alice"`) {
		t.Errorf("deleting an absent account: %v, want ErrNotFound naming alice", err)
	}
}

func TestSeedUsers(t *testing.T) {
	db, path := openT(t)
	opt := accounts.Options{Iterations: 4096}
	users := []accounts.User{{Name: "alice", Password: "alice-pw"}, {Name: "Bob", Password: "bob-pw"}}

	changed, err := db.SeedUsers(users, opt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice", "bob"}; !slices.Equal(changed, want) {
		t.Errorf("first seed changed %v, want %v", changed, want)
	}
	put(t, db, "alice", "bob@localhost", RosterItem{Subscription: SubBoth, Groups: []string{"lab"}})
	if err := db.StoreOffline("alice", []byte("<message/>"), 0); err != nil {
		t.Fatal(err)
	}
	bobBefore, _ := db.Lookup("bob")

	// The same configuration again (after a restart) changes nothing, and
	// derives nothing: bob keeps his salt.
	db.Close()
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	changed, err = db.SeedUsers(users, opt)
	if err != nil || len(changed) != 0 {
		t.Errorf("unchanged seed changed %v, %v", changed, err)
	}
	if bob, _ := db.Lookup("bob"); bob.SHA256.Salt != bobBefore.SHA256.Salt {
		t.Error("an unchanged seed derived bob's credentials again")
	}

	// A changed password in the configuration wins; alice's roster, offline
	// messages and disabled flag are kept.
	alice, _ := db.Lookup("alice")
	alice.Disabled = true
	if err := db.PutAccount(alice); err != nil {
		t.Fatal(err)
	}
	users[0].Password = "new-alice-pw"
	changed, err = db.SeedUsers(users, opt)
	if err != nil || !slices.Equal(changed, []string{"alice"}) {
		t.Errorf("seed with alice's new password changed %v, %v", changed, err)
	}
	alice, _ = db.Lookup("alice")
	if !alice.CheckPassword("new-alice-pw") || alice.CheckPassword("alice-pw") || !alice.Disabled {
		t.Errorf("alice after the seed: new password checks %v, disabled %v", alice.CheckPassword("new-alice-pw"), alice.Disabled)
	}
	it, found, err := db.RosterItem("alice", "bob@localhost")
	if err != nil || !found || it.Subscription != SubBoth || !slices.Equal(it.Groups, []string{"lab"}) {
		t.Errorf("alice's roster item after the seed: %+v %v %v", it, found, err)
	}
	if n, _ := db.CountOffline("alice"); n != 1 {
		t.Errorf("alice's offline messages after the seed: %d", n)
	}

	// Turning the digest on keeps the passwords (a change for both), and
	// turning it off drops them again.
	changed, err = db.SeedUsers(users, accounts.Options{Iterations: 4096, KeepPassword: true})
	if err != nil || len(changed) != 2 {
		t.Errorf("seed with KeepPassword changed %v, %v", changed, err)
	}
	if bob, _ := db.Lookup("bob"); bob.Password != "bob-pw" {
		t.Errorf("bob's kept password %q", bob.Password)
	}
	changed, err = db.SeedUsers(users, accounts.Options{Iterations: 4096, KeepPassword: true})
	if err != nil || len(changed) != 0 {
		t.Errorf("repeated seed with KeepPassword changed %v, %v", changed, err)
	}
	changed, err = db.SeedUsers(users, opt)
	if err != nil || len(changed) != 2 {
		t.Errorf("seed without KeepPassword changed %v, %v", changed, err)
	}
	if bob, _ := db.Lookup("bob"); bob.Password != "" {
		t.Errorf("bob's password still kept: %q", bob.Password)
	}

	// Another iteration count derives again.
	changed, err = db.SeedUsers(users[1:], accounts.Options{Iterations: 5000})
	if err != nil || !slices.Equal(changed, []string{"bob"}) {
		t.Errorf("seed with 5000 iterations changed %v, %v", changed, err)
	}
}

func TestSeedUsersRefusesAllOrNothing(t *testing.T) {
	db, _ := openT(t)
	opt := accounts.Options{Iterations: 4096}
	for _, tc := range []struct {
		users []accounts.User
		want  string
	}{
		{[]accounts.User{{Name: "carol", Password: "pw"}, {Name: "Alice", Password: "a"}, {Name: "alice", Password: "b"}}, `"Alice" and "alice" both prepare to the account "alice"`},
		{[]accounts.User{{Name: "carol", Password: "pw"}, {Name: "al ice", Password: "a"}}, `user "al ice"`},
		{[]accounts.User{{Name: "carol", Password: "pw"}, {Name: "dave", Password: ""}}, `user "dave": empty password`},
	} {
		changed, err := db.SeedUsers(tc.users, opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SeedUsers(%v) = %v, %v; want an error saying %s", tc.users, changed, err, tc.want)
		}
		if names, _ := db.ListAccounts(); len(names) != 0 {
			t.Errorf("SeedUsers(%v) failed but stored %v", tc.users, names)
		}
	}
}

// put stores an item as given (the JID filled in).
func put(t *testing.T, db *DB, owner, jid string, it RosterItem) uint64 {
	t.Helper()
	_, _, ver, err := db.UpdateRosterItem(owner, jid, func(RosterItem, bool) (RosterItem, bool) { return it, true })
	if err != nil {
		t.Fatal(err)
	}
	return ver
}
