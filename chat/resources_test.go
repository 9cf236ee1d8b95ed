package chat

import (
	"strconv"
	"testing"

	"github.com/rs/zerolog"
)

// TestResourcesBindReplaceUnbind: an account's resources as the router
// keeps them: a second resource is added, the same resource again replaces
// the entry (the old session is told), unbinding one keeps the other and
// the last one removes the account.
func TestResourcesBindReplaceUnbind(t *testing.T) {
	r := newTestRouter(t)
	a1, a2, again := nopSession("alice@example.com/1"), nopSession("alice@example.com/2"), replaced{nopSession: "alice@example.com/1"}
	r.Bind(a1)
	r.Bind(a2)
	if rs := r.byBare["alice@example.com"]; len(rs) != 2 || rs.get("1").s != a1 || rs.get("2").s != a2 || rs.get("3") != nil {
		t.Fatalf("two resources: %v", rs)
	}
	r.Bind(&again)
	if rs := r.byBare["alice@example.com"]; len(rs) != 2 || rs.get("1").s != &again || r.Lookup("alice@example.com/1") != &again {
		t.Fatalf("resource 1 bound again: %v", rs)
	}
	r.Unbind(a1) // no longer the session bound there: nothing happens
	if r.Count() != 2 {
		t.Fatalf("Unbind of a replaced session removed an entry: %d left", r.Count())
	}
	r.Unbind(&again)
	if rs := r.byBare["alice@example.com"]; len(rs) != 1 || rs.get("2").s != a2 {
		t.Fatalf("after unbinding resource 1: %v", rs)
	}
	r.Unbind(a2)
	if _, ok := r.byBare["alice@example.com"]; ok {
		t.Fatal("the account's entry outlived its last resource")
	}
}

// replaced is a session that notes being replaced.
type replaced struct {
	nopSession
	n int
}

func (s *replaced) Replace() { s.n++ }

// BenchmarkBindUnbind is what a login's bind and a logout cost the router.
func BenchmarkBindUnbind(b *testing.B) {
	r := NewRouter("example.com", nil, Options{}, zerolog.Nop())
	ss := make([]nopSession, 1024)
	for i := range ss {
		ss[i] = nopSession("user" + strconv.Itoa(i) + "@example.com/res")
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := ss[i%len(ss)]
		r.Bind(s)
		r.Unbind(s)
	}
}
