package accounts

import (
	"testing"
	"time"
)

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

// BenchmarkCheckPasswordCached is the same check for an account whose
// password was verified recently: one HMAC-SHA256 instead of PBKDF2.
func BenchmarkCheckPasswordCached(b *testing.B) {
	a, err := NewAccount("alice", "secret", Options{Iterations: 4096})
	if err != nil {
		b.Fatal(err)
	}
	m := NewMemory()
	m.Put(a)
	s := Cached(m, NewPasswordCache(time.Hour, 1000))
	c, err := s.Lookup("alice")
	if err != nil {
		b.Fatal(err)
	}
	if !c.CheckPassword("secret") {
		b.Fatal("password did not check")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !c.CheckPassword("secret") {
			b.Fatal("password did not check")
		}
	}
}
