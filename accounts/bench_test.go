package accounts

import (
	"runtime"
	"strconv"
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

// BenchmarkPasswordCacheMemory is what the cache holds per account: the
// heap grown by remembering 10 000 logins, over 10 000 (accounts made
// with one iteration, so that filling it costs no PBKDF2; they exist
// before the first reading and are not counted).
func BenchmarkPasswordCacheMemory(b *testing.B) {
	const n = 10000
	m := NewMemory()
	looked := make([]*Account, n)
	for i := range n {
		a, err := NewAccount("u"+strconv.Itoa(i), "pw", Options{Iterations: 1})
		if err != nil {
			b.Fatal(err)
		}
		m.Put(a)
	}
	var perEntry float64
	for b.Loop() {
		s := Cached(m, NewPasswordCache(time.Hour, n))
		for i := range n {
			looked[i] = lookup(b, s, "u"+strconv.Itoa(i))
		}
		before := heapInUse()
		for _, a := range looked {
			if !a.CheckPassword("pw") {
				b.Fatal("password did not check")
			}
		}
		after := heapInUse()
		if got := looked[0].cache.Len(); got != n {
			b.Fatalf("Len = %d, want %d", got, n)
		}
		perEntry = float64(after-before) / n
	}
	b.ReportMetric(perEntry, "B/entry")
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
