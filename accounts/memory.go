package accounts

import (
	"fmt"
	"sync"
)

// Memory is an in-memory Store (the server uses the bbolt store; tests and
// tools that need accounts without a database use this).
type Memory struct {
	mu sync.RWMutex
	m  map[string]*Account
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{m: map[string]*Account{}} }

// Put adds or replaces an account.
func (s *Memory) Put(a *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[a.Name] = a
}

// Lookup implements Store.
func (s *Memory) Lookup(name string) (*Account, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if a, ok := s.m[name]; ok {
		return a, nil
	}
	return nil, ErrNotFound
}

// Len returns the number of accounts.
func (s *Memory) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// User is a name and password pair, as the configuration gives them.
type User struct{ Name, Password string }

// FromUsers builds a store from configured users. Two names that prepare to
// the same account (e.g. "Alice" and "alice") are an error.
func FromUsers(users []User, opt Options) (*Memory, error) {
	s := NewMemory()
	for _, u := range users {
		a, err := NewAccount(u.Name, u.Password, opt)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", u.Name, err)
		}
		if _, err := s.Lookup(a.Name); err == nil {
			return nil, fmt.Errorf("users %q and another both prepare to the account %q", u.Name, a.Name)
		}
		s.Put(a)
	}
	return s, nil
}
