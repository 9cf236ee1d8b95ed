package store

import (
	"bytes"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/xdg-go/scram"

	"jabberd/accounts"
)

// accountCache keeps decoded accounts in memory, so that a login reads its
// account without a bbolt transaction and a JSON decode (about 15 µs, 2.5 %
// of a login's server CPU with 3 000 accounts in turn). Only this process
// writes the file (bbolt's lock), and every write goes through DB, which
// forgets what it changed: the cache cannot go stale.
//
// A lookup that misses reads the file and then adds what it read only if
// no account was written meanwhile (gen), so that a read racing a write
// cannot put the old record back after the write forgot it. Absent names
// are not cached: registration creates them.
type accountCache struct {
	mu  sync.Mutex
	gen uint64
	lru *simplelru.LRU[string, accounts.Account]
}

// SetAccountCache keeps up to n accounts in memory (least recently used
// dropped); 0 turns the cache off. Call it before the store is shared.
func (db *DB) SetAccountCache(n int) {
	if n <= 0 {
		db.acache = nil
		return
	}
	l, _ := simplelru.NewLRU[string, accounts.Account](n, nil) // n > 0: no error
	db.acache = &accountCache{lru: l}
}

// get returns a copy of the cached account (its keys too: Lookup promises
// a fresh copy) and the generation a miss must quote to add.
func (c *accountCache) get(name string) (*accounts.Account, uint64) {
	if c == nil {
		return nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.lru.Get(name); ok {
		return deepCopy(a), c.gen
	}
	return nil, c.gen
}

// add remembers a (a copy, keys too: the caller keeps a) if nothing was
// written since gen.
func (c *accountCache) add(a *accounts.Account, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.lru.Add(a.Name, *deepCopy(*a))
	}
}

// forget drops names (all of them with none given) after a write.
func (c *accountCache) forget(names ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(names) == 0 {
		c.lru.Purge()
		return
	}
	for _, n := range names {
		c.lru.Remove(n)
	}
}

// deepCopy copies a with its credentials' key slices (the salt is a
// string), so that nothing a caller changes reaches the cache.
func deepCopy(a accounts.Account) *accounts.Account {
	a.SHA1, a.SHA256 = copyCredentials(a.SHA1), copyCredentials(a.SHA256)
	return &a
}

func copyCredentials(c scram.StoredCredentials) scram.StoredCredentials {
	c.StoredKey, c.ServerKey = bytes.Clone(c.StoredKey), bytes.Clone(c.ServerKey)
	return c
}

// Len returns the number of accounts cached (tests).
func (c *accountCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
