package session

import (
	"testing"

	"github.com/beevik/etree"
)

type nopSession string

func (s nopSession) JID() string                { return string(s) }
func (nopSession) Deliver(*etree.Element) error { return nil }
func (nopSession) Replace()                     {}

func TestUnbindDropsEmptyBareEntries(t *testing.T) {
	r := NewRouter("example.com")
	a, b, c := nopSession("alice@example.com/1"), nopSession("alice@example.com/2"), nopSession("bob@example.com/1")
	r.Bind(a)
	r.Bind(b)
	r.Bind(c)
	if len(r.byBare) != 2 {
		t.Fatalf("%d bare entries, want 2", len(r.byBare))
	}
	r.Unbind(a)
	if len(r.byBare) != 2 || len(r.byBare["alice@example.com"]) != 1 {
		t.Errorf("after Unbind(a): %v", r.byBare)
	}
	r.Unbind(b)
	if _, ok := r.byBare["alice@example.com"]; ok || len(r.byBare) != 1 {
		t.Errorf("empty bare entry kept: %v", r.byBare)
	}
	r.Unbind(c)
	if len(r.byBare) != 0 || r.Count() != 0 {
		t.Errorf("after unbinding all: %v, Count %d", r.byBare, r.Count())
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ in, bare, res string }{
		{"Alice@Example.com/Laptop", "alice@example.com", "Laptop"},
		{"alice@example.com", "alice@example.com", ""},
		{"example.com", "example.com", ""},
		{"a@b/c/d", "a@b", "c/d"},
		{"", "", ""},
	} {
		bare, res := split(tc.in)
		if bare != tc.bare || res != tc.res {
			t.Errorf("split(%q) = %q, %q; want %q, %q", tc.in, bare, res, tc.bare, tc.res)
		}
	}
}
