package store

import (
	"errors"
	"slices"
	"testing"

	"jabberd/accounts"
)

// TestBlocklist: an account without a blocklist has none; updates keep
// order, an error from fn changes nothing, an empty list removes the
// record, and deleting the account deletes its blocklist.
func TestBlocklist(t *testing.T) {
	db, _ := openT(t)
	if l, err := db.Blocklist("bob"); l != nil || err != nil {
		t.Fatalf("Blocklist of a new account = %v, %v", l, err)
	}
	add := func(jids ...string) func([]string) ([]string, error) {
		return func(cur []string) ([]string, error) { return append(cur, jids...), nil }
	}
	if err := db.UpdateBlocklist("bob", add("alice@localhost", "example.org")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.UpdateBlocklist("bob", func([]string) ([]string, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateBlocklist returned %v, want fn's error", err)
	}
	if l, _ := db.Blocklist("bob"); !slices.Equal(l, []string{"alice@localhost", "example.org"}) {
		t.Fatalf("Blocklist = %v", l)
	}
	if err := db.UpdateBlocklist("bob", func([]string) ([]string, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Blocklist("bob"); l != nil {
		t.Fatalf("Blocklist after clearing = %v", l)
	}
	if err := db.PutAccount(&accounts.Account{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateBlocklist("bob", add("carol@localhost")); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount("bob"); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.Blocklist("bob"); l != nil {
		t.Errorf("Blocklist after the account was deleted = %v", l)
	}
	if err := db.UpdateBlocklist("", add("x")); err == nil {
		t.Errorf("UpdateBlocklist accepted an empty owner")
	}
}
