package store

import (
	"errors"
	"testing"

	"jabberd/accounts"
)

// TestPrivateXML: nothing at first; a set of two elements is read back
// across a reopen; a set past the bound changes nothing (ErrPrivateFull),
// counting what a key replaces only once; an empty value removes a key;
// deleting the account deletes its storage.
func TestPrivateXML(t *testing.T) {
	db, path := openT(t)
	if v, err := db.PrivateXML("bob", "{storage:bookmarks}storage"); v != nil || err != nil {
		t.Fatalf("PrivateXML of a new account = %q, %v", v, err)
	}
	a, b := []byte("<storage xmlns='storage:bookmarks'/>"), []byte("<storage xmlns='storage:rosternotes'/>")
	if err := db.SetPrivateXML("bob", map[string][]byte{"a": a, "b": b}, 100); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if v, _ := db.PrivateXML("bob", "a"); string(v) != string(a) {
		t.Fatalf("after reopen a = %q", v)
	}
	// 36+38 stored; a replaced by 62 bytes makes 100: fits; 63 does not.
	if err := db.SetPrivateXML("bob", map[string][]byte{"a": make([]byte, 62)}, 100); err != nil {
		t.Fatalf("a replacement within the bound: %v", err)
	}
	if err := db.SetPrivateXML("bob", map[string][]byte{"a": make([]byte, 63)}, 100); !errors.Is(err, ErrPrivateFull) {
		t.Fatalf("past the bound: %v, want ErrPrivateFull", err)
	}
	if v, _ := db.PrivateXML("bob", "a"); len(v) != 62 {
		t.Fatalf("a refused set changed a to %d bytes", len(v))
	}
	if err := db.SetPrivateXML("bob", map[string][]byte{"b": nil}, 100); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.PrivateXML("bob", "b"); v != nil {
		t.Fatalf("b after removal = %q", v)
	}
	if err := db.PutAccount(&accounts.Account{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount("bob"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.PrivateXML("bob", "a"); v != nil {
		t.Fatalf("a after the account was deleted = %q", v)
	}
}
