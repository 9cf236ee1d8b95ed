package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// PasswordCache remembers, per account, that a password was verified
// recently, so that the next login with the same password costs one HMAC
// instead of a PBKDF2 derivation (559 µs at 4096 iterations, more than the
// rest of a login together). Dovecot's auth_cache is the precedent: a
// bounded cache with a TTL in front of an expensive password scheme.
//
// What is kept is a MAC, never the password: HMAC-SHA256 under a key drawn
// at random for this process, over the account name, the password as the
// client sent it, and the credential it was checked against (salt,
// iterations, stored key). A later login hits only with the same password
// against the same credential: a password change (new salt, new stored key)
// misses, and so does any other password. Only successful checks are
// remembered; a failed check costs a derivation every time, as before, so
// guessing is not made cheaper. The key lives only in memory: an entry is
// worthless after a restart and never leaves the process.
//
// Entries expire ttl after the check that made them (a hit does not extend
// them: the password is derived again at least once per ttl), and past max
// entries the least recently used is dropped. A nil *PasswordCache caches
// nothing.
//
// The bookkeeping is golang-lru's expirable LRU. What that costs over the
// container/list cache it replaced (BENCHMARKS.md, 2026-12-07): one
// goroutine per cache, alive for the process (the server makes one cache,
// at start; a reload keeps it), waking every ttl/100 to drop expired
// entries; one more map entry per account (its expiry bucket): 199 bytes
// of heap per remembered account instead of 172. A hit costs the same (one
// lock, one map lookup, no allocation; +0.4 % instructions). The library's
// Get moves the entry to the front before the MAC is compared, so a wrong
// password keeps an account's entry recent (it neither extends nor
// creates one).
type PasswordCache struct {
	key [32]byte
	lru *expirable.LRU[string, [sha256.Size]byte] // account name → MAC
}

// NewPasswordCache returns a cache of at most max accounts whose entries
// live ttl; nil (no caching) when either is zero or less.
func NewPasswordCache(ttl time.Duration, max int) *PasswordCache {
	if ttl <= 0 || max <= 0 {
		return nil
	}
	c := &PasswordCache{lru: expirable.NewLRU[string, [sha256.Size]byte](max, nil, ttl)}
	_, _ = rand.Read(c.key[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return c
}

// Len returns the number of accounts remembered (expired entries count
// until the library's sweep drops them, at most ttl/100 later).
func (c *PasswordCache) Len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}

// Check reports whether password matches a's credentials, from the cache
// when it can, else by derivation (remembering a success).
func (c *PasswordCache) Check(a *Account, password string) bool {
	if c == nil || !a.HasCredentials() {
		return a.checkPassword(password)
	}
	mac := c.mac(a, password)
	if got, ok := c.lru.Get(a.Name); ok && hmac.Equal(got[:], mac[:]) {
		return true
	}
	if !a.checkPassword(password) {
		return false // failures are never remembered
	}
	c.lru.Add(a.Name, mac) // a new entry, or the old one replaced with a fresh ttl
	return true
}

// mac binds the password to the account and to the exact credential it is
// checked against. Every variable-length part is length-prefixed, so that
// no two different inputs give the same bytes.
func (c *PasswordCache) mac(a *Account, password string) [sha256.Size]byte {
	h := hmac.New(sha256.New, c.key[:])
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(a.Name))
	field([]byte(password))
	field([]byte(a.SHA256.Salt))
	binary.BigEndian.PutUint64(n[:], uint64(a.SHA256.Iters))
	h.Write(n[:])
	field(a.SHA256.StoredKey)
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}

// Cached wraps a Store so that the accounts it returns check passwords
// through cache: every password login (SASL PLAIN, XEP-0078, IRC PLAIN)
// goes through Account.CheckPassword on an account from Lookup. With a nil
// cache it returns s itself.
func Cached(s Store, cache *PasswordCache) Store {
	if cache == nil {
		return s
	}
	return &cachedStore{s, cache}
}

type cachedStore struct {
	Store
	cache *PasswordCache
}

func (s *cachedStore) Lookup(name string) (*Account, error) {
	a, err := s.Store.Lookup(name)
	if err != nil {
		return nil, err
	}
	// A copy: the inner store may hand out a shared *Account (Memory
	// does), and the cache must not leak into its other users.
	cp := *a
	cp.cache = s.cache
	return &cp, nil
}
