package negotiation

import (
	"testing"

	"jabberd/lab/wire"
)

// FuzzMachineNegotiationFlaws is FuzzMachine under the knobs of the
// negotiation and injection profiles: a forgery after the go-ahead,
// STARTTLS offered late, again inside TLS, without <required/>, or never
// answered.
func FuzzMachineNegotiationFlaws(f *testing.F) {
	for _, seed := range transcriptSeeds(f) {
		for _, knobs := range []uint8{0b111_01_00, 0b000_10_01, 0b110_11_10, 0b001_11_00} {
			f.Add(seed, knobs)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, knobs uint8) {
		// Bits 0-1: the policy (3: optional, with STARTTLS never
		// answered); 2-4: the forgery (modulo the kinds); 5-7: STARTTLS
		// late, again, without <required/>.
		e := wire.Effect{
			Forge:         wire.Forgery(knobs>>2&7) % (wire.ForgeClose + 1),
			StartTLSLate:  knobs&32 != 0,
			StartTLSAgain: knobs&64 != 0,
			HideRequired:  knobs&128 != 0,
		}
		e.IgnoreStartTLS = knobs&3 == 3
		fuzzMachine(t, in, fuzzPolicy(knobs&3), e)
	})
}
