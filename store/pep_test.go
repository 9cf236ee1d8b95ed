package store

import (
	"errors"
	"reflect"
	"testing"

	"jabberd/accounts"
)

// TestPEPNodes: no node at first; nodes are created up to the bound
// (ErrTooManyNodes past it, a change of an existing node still goes
// through), read back across a reopen, listed by name; fn's error changes
// nothing; nil removes a node; deleting the account deletes its nodes.
func TestPEPNodes(t *testing.T) {
	db, path := openT(t)
	if v, err := db.PEPNode("bob", "n"); v != nil || err != nil {
		t.Fatalf("PEPNode of a new account = %q, %v", v, err)
	}
	put := func(node, v string) error {
		return db.UpdatePEPNode("bob", node, 2, func([]byte) ([]byte, error) { return []byte(v), nil })
	}
	if err := put("a", "1"); err != nil {
		t.Fatal(err)
	}
	if err := put("b", "2"); err != nil {
		t.Fatal(err)
	}
	if err := put("c", "3"); !errors.Is(err, ErrTooManyNodes) {
		t.Fatalf("a third node with a bound of 2: %v", err)
	}
	if err := put("a", "1bis"); err != nil {
		t.Fatalf("a change of an existing node at the bound: %v", err)
	}
	db.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if v, _ := db.PEPNode("bob", "a"); string(v) != "1bis" {
		t.Fatalf("a after reopen = %q", v)
	}
	if n, _ := db.PEPNodeNames("bob"); !reflect.DeepEqual(n, []string{"a", "b"}) {
		t.Fatalf("PEPNodeNames = %q", n)
	}
	boom := errors.New("boom")
	if err := db.UpdatePEPNode("bob", "b", 2, func([]byte) ([]byte, error) { return []byte("x"), boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.UpdatePEPNode("bob", "b", 2, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.PEPNode("bob", "b"); v != nil {
		t.Fatalf("b after removal = %q", v)
	}
	if err := db.PutAccount(&accounts.Account{Name: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteAccount("bob"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.PEPNode("bob", "a"); v != nil {
		t.Fatalf("a after the account was deleted = %q", v)
	}
}
