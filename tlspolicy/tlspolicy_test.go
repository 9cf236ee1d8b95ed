package tlspolicy

import "testing"

// TestPolicyAvailable: only "disabled" hides STARTTLS.
func TestPolicyAvailable(t *testing.T) {
	for p, want := range map[Policy]bool{Required: true, Optional: true, Disabled: false} {
		if p.Available() != want {
			t.Errorf("%s.Available() = %v", p, !want)
		}
	}
}
