package listener

import (
	"strings"
	"testing"
)

// TestIDsUnique: two namers made in the same second never give the same
// id, and one namer's ids share its prefix and count up.
func TestIDsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		g := NewIDs("c")
		for range 3 {
			id := g.Next()
			if seen[id] {
				t.Fatalf("id %s given twice", id)
			}
			seen[id] = true
		}
	}
	g := NewIDs("i")
	a, b := g.Next(), g.Next()
	if !strings.HasPrefix(a, "i") || !strings.HasSuffix(a, "-1") || !strings.HasSuffix(b, "-2") || a[:len(a)-2] != b[:len(b)-2] {
		t.Errorf("ids %s, %s", a, b)
	}
}
