package accounts

import (
	"strconv"
	"testing"
	"time"
)

// cachedAccount is an account behind a Cached store with cache c.
func cachedAccount(t testing.TB, c *PasswordCache, name, password string) (*Memory, Store) {
	t.Helper()
	a, err := NewAccount(name, password, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemory()
	m.Put(a)
	return m, Cached(m, c)
}

func lookup(t testing.TB, s Store, name string) *Account {
	t.Helper()
	a, err := s.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// check runs CheckPassword on a fresh Lookup and says whether it matched
// and how many derivations it cost.
func check(t testing.TB, s Store, name, password string) (bool, int64) {
	t.Helper()
	a := lookup(t, s, name)
	before := derivations.Load()
	ok := a.CheckPassword(password)
	return ok, derivations.Load() - before
}

func TestPasswordCacheHit(t *testing.T) {
	c := NewPasswordCache(time.Minute, 10)
	_, s := cachedAccount(t, c, "alice", "secret")
	if ok, n := check(t, s, "alice", "secret"); !ok || n != 1 {
		t.Fatalf("first check: ok %v, %d derivations; want true, 1", ok, n)
	}
	if ok, n := check(t, s, "alice", "secret"); !ok || n != 0 {
		t.Fatalf("second check: ok %v, %d derivations; want a hit (true, 0)", ok, n)
	}
	if c.Len() != 1 {
		t.Fatalf("Len = %d", c.Len())
	}
}

func TestPasswordCacheMissOnOtherPassword(t *testing.T) {
	c := NewPasswordCache(time.Minute, 10)
	_, s := cachedAccount(t, c, "alice", "secret")
	check(t, s, "alice", "secret")
	for _, wrong := range []string{"Secret", "secret ", "", "secre"} {
		if ok, n := check(t, s, "alice", wrong); ok || n != 1 {
			t.Errorf("%q: ok %v, %d derivations; want false after a full derivation", wrong, ok, n)
		}
	}
	// A failure is never remembered, and does not evict the good entry.
	if ok, n := check(t, s, "alice", "secre"); ok || n != 1 {
		t.Errorf("repeated wrong password: ok %v, %d derivations", ok, n)
	}
	if ok, n := check(t, s, "alice", "secret"); !ok || n != 0 {
		t.Errorf("right password after wrong ones: ok %v, %d derivations; want a hit", ok, n)
	}
}

// TestPasswordCacheMissAfterPasswordChange: new credentials (new salt and
// stored key) miss, even for the old password set again.
func TestPasswordCacheMissAfterPasswordChange(t *testing.T) {
	c := NewPasswordCache(time.Minute, 10)
	m, s := cachedAccount(t, c, "alice", "secret")
	check(t, s, "alice", "secret")
	a := lookup(t, m, "alice")
	changed := *a
	if err := changed.SetPassword("new-secret", Options{Iterations: 4096}); err != nil {
		t.Fatal(err)
	}
	m.Put(&changed)
	if ok, n := check(t, s, "alice", "secret"); ok || n != 1 {
		t.Fatalf("old password after the change: ok %v, %d derivations", ok, n)
	}
	if ok, n := check(t, s, "alice", "new-secret"); !ok || n != 1 {
		t.Fatalf("new password: ok %v, %d derivations; want a verified miss", ok, n)
	}
	// The same password set again gets a fresh salt: still a miss.
	again := changed
	if err := again.SetPassword("new-secret", Options{Iterations: 4096}); err != nil {
		t.Fatal(err)
	}
	m.Put(&again)
	if ok, n := check(t, s, "alice", "new-secret"); !ok || n != 1 {
		t.Fatalf("same password, new credentials: ok %v, %d derivations; want a miss", ok, n)
	}
}

// TestPasswordCacheExpiry runs on the real clock (the library reads
// time.Now): a 1 s TTL, a hit at 0.6 s that must not extend the entry, a
// miss at 1.2 s. A loaded machine can stall between the steps, and within
// the first verification: the entry's expiry is known only to lie between
// ttl after the verification began and ttl after it returned, so the hit
// is required only before the first and the miss asked for after the
// second.
func TestPasswordCacheExpiry(t *testing.T) {
	const ttl = time.Second
	c := NewPasswordCache(ttl, 10)
	_, s := cachedAccount(t, c, "alice", "secret")
	began := time.Now()
	check(t, s, "alice", "secret")
	verified := time.Now()
	time.Sleep(600 * time.Millisecond)
	ok, n := check(t, s, "alice", "secret")
	hitAt := time.Now()
	if !ok || (n != 0 && hitAt.Sub(began) < ttl) {
		t.Fatalf("before the TTL: ok %v, %d derivations; want a hit", ok, n)
	}
	time.Sleep(time.Until(verified.Add(ttl + 200*time.Millisecond)))
	ok, n = check(t, s, "alice", "secret")
	if !ok || n != 1 {
		t.Fatalf("past the TTL: ok %v, %d derivations; want a miss", ok, n)
	}
	if since := time.Since(hitAt); since >= ttl {
		t.Logf("the miss came %v after the hit: it does not show that the hit did not extend the entry", since)
	}
	if ok, n := check(t, s, "alice", "secret"); !ok || n != 0 {
		t.Fatalf("after re-verification: ok %v, %d derivations; want a hit", ok, n)
	}
}

// TestPasswordCacheBound: past max accounts the least recently used goes.
func TestPasswordCacheBound(t *testing.T) {
	c := NewPasswordCache(time.Minute, 3)
	m := NewMemory()
	s := Cached(m, c)
	for i := range 4 {
		a, err := NewAccount("u"+strconv.Itoa(i), "pw", Options{})
		if err != nil {
			t.Fatal(err)
		}
		m.Put(a)
	}
	check(t, s, "u0", "pw")
	check(t, s, "u1", "pw")
	check(t, s, "u2", "pw")
	check(t, s, "u0", "pw") // u0 is now the most recently used; u1 the least
	check(t, s, "u3", "pw")
	if c.Len() != 3 {
		t.Fatalf("Len = %d, want 3", c.Len())
	}
	for name, want := range map[string]bool{"u0": true, "u1": false, "u2": true, "u3": true} {
		if in := c.lru.Contains(name); in != want {
			t.Errorf("%s cached %v, want %v", name, in, want)
		}
	}
	if _, n := check(t, s, "u2", "pw"); n != 0 {
		t.Errorf("u2: %d derivations, want a hit", n)
	}
	if _, n := check(t, s, "u1", "pw"); n != 1 {
		t.Errorf("u1 (evicted): %d derivations, want a miss", n)
	}
}

// TestPasswordCacheOff: a zero TTL or size caches nothing, and Cached
// returns the store itself.
func TestPasswordCacheOff(t *testing.T) {
	for _, c := range []*PasswordCache{NewPasswordCache(0, 10), NewPasswordCache(time.Minute, 0)} {
		if c != nil {
			t.Fatal("cache made with a zero bound")
		}
		m, s := cachedAccount(t, c, "alice", "secret")
		if s != Store(m) {
			t.Fatal("Cached(nil) wrapped the store")
		}
		check(t, s, "alice", "secret")
		if _, n := check(t, s, "alice", "secret"); n != 1 {
			t.Fatalf("%d derivations with the cache off", n)
		}
	}
}

// TestPasswordCacheDoesNotLeakIntoStore: the inner store's own accounts
// (shared pointers in Memory) never gain the cache.
func TestPasswordCacheDoesNotLeakIntoStore(t *testing.T) {
	c := NewPasswordCache(time.Minute, 10)
	m, s := cachedAccount(t, c, "alice", "secret")
	check(t, s, "alice", "secret")
	if _, n := check(t, m, "alice", "secret"); n != 1 {
		t.Fatalf("the inner store's account used the cache (%d derivations)", n)
	}
}
