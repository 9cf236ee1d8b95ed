package store

import (
	"testing"

	"jabberd/accounts"
)

// TestVCard: no vCard at first; a set is read back with its photo hash,
// across a reopen of the file; a set without a photo drops the hash; an
// empty vCard removes both; deleting the account deletes its vCard.
func TestVCard(t *testing.T) {
	db, path := openT(t)
	if v, err := db.VCard("bob"); v != nil || err != nil {
		t.Fatalf("VCard of a new account = %q, %v", v, err)
	}
	card := []byte("<vCard xmlns='vcard-temp'><FN>Bob</FN></vCard>")
	if err := db.SetVCard("bob", card, "0123abcd"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if v, _ := db.VCard("bob"); string(v) != string(card) {
		t.Fatalf("VCard after reopen = %q", v)
	}
	if p, _ := db.VCardPhoto("bob"); p != "0123abcd" {
		t.Fatalf("VCardPhoto = %q", p)
	}
	if err := db.SetVCard("bob", card, ""); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.VCardPhoto("bob"); p != "" {
		t.Fatalf("VCardPhoto after a set without photo = %q", p)
	}
	if err := db.SetVCard("bob", nil, "ffff"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.VCard("bob"); v != nil {
		t.Fatalf("VCard after an empty set = %q", v)
	}
	if p, _ := db.VCardPhoto("bob"); p != "" {
		t.Fatalf("VCardPhoto after an empty set = %q", p)
	}
	if err := db.SetVCard("bob", card, "0123abcd"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutAccount(&accounts.Account{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount("bob"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.VCard("bob"); v != nil {
		t.Fatalf("VCard after the account was deleted = %q", v)
	}
	if p, _ := db.VCardPhoto("bob"); p != "" {
		t.Fatalf("VCardPhoto after the account was deleted = %q", p)
	}
}
