package accounts

import (
	"container/list"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
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
type PasswordCache struct {
	ttl time.Duration
	max int
	key [32]byte
	now func() time.Time // tests move the clock

	mu  sync.Mutex
	m   map[string]*list.Element // account name → element of lru (*cacheEntry)
	lru list.List                // front: most recently used
}

type cacheEntry struct {
	name    string
	mac     [sha256.Size]byte
	expires time.Time
}

// NewPasswordCache returns a cache of at most max accounts whose entries
// live ttl; nil (no caching) when either is zero or less.
func NewPasswordCache(ttl time.Duration, max int) *PasswordCache {
	if ttl <= 0 || max <= 0 {
		return nil
	}
	c := &PasswordCache{ttl: ttl, max: max, now: time.Now, m: map[string]*list.Element{}}
	_, _ = rand.Read(c.key[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return c
}

// Len returns the number of accounts remembered.
func (c *PasswordCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Check reports whether password matches a's credentials, from the cache
// when it can, else by derivation (remembering a success).
func (c *PasswordCache) Check(a *Account, password string) bool {
	if c == nil || !a.HasCredentials() {
		return a.checkPassword(password)
	}
	mac := c.mac(a, password)
	if c.hit(a.Name, &mac) {
		return true
	}
	if !a.checkPassword(password) {
		return false // failures are never remembered
	}
	c.remember(a.Name, &mac)
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

func (c *PasswordCache) hit(name string, mac *[sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[name]
	if !ok {
		return false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.m, name)
		return false
	}
	if !hmac.Equal(e.mac[:], mac[:]) {
		return false
	}
	c.lru.MoveToFront(el)
	return true
}

func (c *PasswordCache) remember(name string, mac *[sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := c.now().Add(c.ttl)
	if el, ok := c.m[name]; ok {
		e := el.Value.(*cacheEntry)
		e.mac, e.expires = *mac, expires
		c.lru.MoveToFront(el)
		return
	}
	c.m[name] = c.lru.PushFront(&cacheEntry{name: name, mac: *mac, expires: expires})
	for len(c.m) > c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.m, oldest.Value.(*cacheEntry).name)
	}
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
