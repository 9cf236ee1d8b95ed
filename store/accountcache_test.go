package store

import (
	"bytes"
	"errors"
	"testing"

	"jabberd/accounts"
)

// TestAccountCacheFollowsWrites: with the cache on, a looked-up account is
// served from memory, and every kind of write is seen by the next lookup:
// a new password, a disabled flag, a deletion, a configured user synced,
// a name created after a lookup found it absent.
func TestAccountCacheFollowsWrites(t *testing.T) {
	db, _ := openT(t)
	db.SetAccountCache(10)
	if err := db.PutAccount(mustAccount(t, "alice", "pw1")); err != nil {
		t.Fatal(err)
	}
	a := lookupT(t, db, "alice")
	if db.acache.Len() != 1 || !a.CheckPassword("pw1") {
		t.Fatalf("cached %d, password pw1 %v", db.acache.Len(), a.CheckPassword("pw1"))
	}
	// A caller changing its copy changes nothing in the cache.
	a.Disabled = true
	a.SHA256.StoredKey[0] ^= 0xff
	a.SHA256.ServerKey[0] ^= 0xff
	a.SHA1.StoredKey[0] ^= 0xff
	if b := lookupT(t, db, "alice"); b.Disabled || !b.CheckPassword("pw1") || bytes.Equal(b.SHA256.ServerKey, a.SHA256.ServerKey) {
		t.Fatal("a caller's change leaked into the cache")
	}
	// Nor does a change to the copy a miss returned (it was added).
	db.acache.forget("alice")
	a = lookupT(t, db, "alice")
	a.SHA256.StoredKey[0] ^= 0xff
	if !lookupT(t, db, "alice").CheckPassword("pw1") {
		t.Fatal("a change to a miss's copy leaked into the cache")
	}

	changed := mustAccount(t, "alice", "pw2")
	changed.Disabled = true
	if err := db.PutAccount(changed); err != nil {
		t.Fatal(err)
	}
	if a := lookupT(t, db, "alice"); !a.CheckPassword("pw2") || a.CheckPassword("pw1") || !a.Disabled {
		t.Fatal("the cache served the account from before PutAccount")
	}

	if _, err := db.SyncUsers([]accounts.User{{Name: "alice", Password: "pw3"}}, accounts.Options{Iterations: 4096}); err != nil {
		t.Fatal(err)
	}
	if a := lookupT(t, db, "alice"); !a.CheckPassword("pw3") || !a.Configured {
		t.Fatal("the cache served the account from before SyncUsers")
	}

	if _, err := db.Lookup("bob"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("bob: %v", err)
	}
	if err := db.CreateAccount(mustAccount(t, "bob", "bob-pw")); err != nil {
		t.Fatal(err)
	}
	if !lookupT(t, db, "bob").CheckPassword("bob-pw") {
		t.Fatal("bob created after a miss is not found")
	}

	if err := db.DeleteAccount("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lookup("alice"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatalf("alice after DeleteAccount: %v", err)
	}
}

// TestAccountCacheBounded: past its size the least recently used account
// is dropped, and a write racing a miss does not leave the old record.
func TestAccountCacheBounded(t *testing.T) {
	db, _ := openT(t)
	db.SetAccountCache(2)
	for _, n := range []string{"a1", "a2", "a3"} {
		if err := db.PutAccount(mustAccount(t, n, n+"-pw")); err != nil {
			t.Fatal(err)
		}
		lookupT(t, db, n)
	}
	if got := db.acache.Len(); got != 2 {
		t.Fatalf("%d cached, want 2", got)
	}
	// A miss that read before a write quotes the old generation: its add
	// is refused.
	_, gen := db.acache.get("a1")
	old := lookupT(t, db, "a1")
	db.acache.forget("a1") // as a write does
	db.acache.add(old, gen)
	if a, _ := db.acache.get("a1"); a != nil {
		t.Fatal("a lookup racing a write put the old record back")
	}
	db.SetAccountCache(0)
	lookupT(t, db, "a1")
	if db.acache.Len() != 0 {
		t.Fatal("cache off still caches")
	}
}

func lookupT(t *testing.T, db *DB, name string) *accounts.Account {
	t.Helper()
	a, err := db.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// BenchmarkLookup: one account of 3 000 in turn, from the file and from
// the cache.
func BenchmarkLookup(b *testing.B) {
	db, err := Open(b.TempDir() + "/jabberd.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 3000
	names := make([]string, n)
	base, err := accounts.NewAccount("x", "pw", accounts.Options{Iterations: 1})
	if err != nil {
		b.Fatal(err)
	}
	for i := range names {
		a := *base
		a.Name = "u" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		names[i] = a.Name
		if err := db.PutAccount(&a); err != nil {
			b.Fatal(err)
		}
	}
	for _, size := range []int{0, n} {
		name := "file"
		if size > 0 {
			name = "cache"
		}
		b.Run(name, func(b *testing.B) {
			db.SetAccountCache(size)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := db.Lookup(names[i%n]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
