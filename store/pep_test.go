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
		return db.UpdatePEPNode("bob", node, PEPLimits{MaxNodes: 2, MaxBytes: 100}, func([]byte) ([]byte, error) { return []byte(v), nil })
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
	if err := db.UpdatePEPNode("bob", "b", PEPLimits{MaxNodes: 2, MaxBytes: 100}, func([]byte) ([]byte, error) { return []byte("x"), boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if err := db.UpdatePEPNode("bob", "b", PEPLimits{MaxNodes: 2, MaxBytes: 100}, func([]byte) ([]byte, error) { return nil, nil }); err != nil {
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

// TestPEPBytes: an account's nodes grow up to the byte bound in all
// (ErrPEPFull past it, the node unchanged); a change that does not grow a
// node goes through even over a lowered bound; another account has its
// own bound.
func TestPEPBytes(t *testing.T) {
	db, _ := openT(t)
	lim := PEPLimits{MaxNodes: 10, MaxBytes: 10}
	put := func(owner, node, v string) error {
		return db.UpdatePEPNode(owner, node, lim, func([]byte) ([]byte, error) { return []byte(v), nil })
	}
	if err := put("bob", "a", "123456"); err != nil {
		t.Fatal(err)
	}
	if err := put("bob", "b", "1234"); err != nil {
		t.Fatalf("a node up to the bound exactly: %v", err)
	}
	if err := put("bob", "b", "12345"); !errors.Is(err, ErrPEPFull) {
		t.Fatalf("a node grown past the bound: %v", err)
	}
	if err := put("bob", "c", "1"); !errors.Is(err, ErrPEPFull) {
		t.Fatalf("a new node past the bound: %v", err)
	}
	if v, _ := db.PEPNode("bob", "b"); string(v) != "1234" {
		t.Fatalf("b after the refused change = %q", v)
	}
	if err := put("alice", "a", "1234567890"); err != nil {
		t.Fatalf("alice's own bound: %v", err)
	}
	lim.MaxBytes = 5
	if err := put("bob", "a", "12"); err != nil {
		t.Fatalf("a node shrunk over a lowered bound: %v", err)
	}
	if err := put("bob", "b", "12345"); !errors.Is(err, ErrPEPFull) {
		t.Fatalf("a node grown over a lowered bound: %v", err)
	}
}
