package accounts

import "testing"

// BenchmarkCheckPassword is the cost of checking a PLAIN password against
// stored SCRAM credentials: one PBKDF2 derivation at the default count.
func BenchmarkCheckPassword(b *testing.B) {
	a, err := NewAccount("alice", "secret", Options{Iterations: 4096})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !a.CheckPassword("secret") {
			b.Fatal("password did not check")
		}
	}
}
