// Package session routes stanzas between the bound sessions of this server
// and answers the ones addressed to the server itself.
package session

import (
	"strings"
	"sync"

	"github.com/beevik/etree"
)

// Session is a bound client stream as the router sees it.
type Session interface {
	// JID is the bound full JID.
	JID() string
	// Deliver writes el to the client. It is safe to call from any goroutine.
	Deliver(el *etree.Element) error
	// Replace ends the session because a newer one bound the same JID.
	Replace()
}

// Router is the table of bound sessions: bare JID → resource → session.
type Router struct {
	domain string
	mu     sync.RWMutex
	byBare map[string]map[string]Session
}

// NewRouter returns an empty table for domain.
func NewRouter(domain string) *Router {
	return &Router{domain: strings.ToLower(domain), byBare: map[string]map[string]Session{}}
}

// Bind registers s. A session already bound to the same full JID is
// replaced: the newer wins (RFC 6120 §7.7.2.2), and the older is told.
func (r *Router) Bind(s Session) {
	bare, res := split(s.JID())
	r.mu.Lock()
	m := r.byBare[bare]
	if m == nil {
		m = map[string]Session{}
		r.byBare[bare] = m
	}
	old := m[res]
	m[res] = s
	r.mu.Unlock()
	if old != nil && old != s {
		old.Replace()
	}
}

// Unbind removes s, unless a newer session has taken its place.
func (r *Router) Unbind(s Session) {
	bare, res := split(s.JID())
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.byBare[bare]; m != nil && m[res] == s {
		delete(m, res)
		if len(m) == 0 {
			delete(r.byBare, bare)
		}
	}
}

// Lookup returns the session bound to a full JID.
func (r *Router) Lookup(full string) Session {
	bare, res := split(full)
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byBare[bare][res]
}

// Resources returns the sessions bound for a bare JID.
func (r *Router) Resources(bare string) []Session {
	r.mu.RLock()
	defer r.mu.RUnlock()
	m := r.byBare[strings.ToLower(bare)]
	out := make([]Session, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

// Count returns the number of bound sessions.
func (r *Router) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for _, m := range r.byBare {
		n += len(m)
	}
	return n
}

// split cuts a full JID into its bare part (lower-cased: local parts are
// PRECIS case-mapped and domains are case-insensitive) and resource.
func split(jid string) (bare, resource string) {
	bare, resource, _ = strings.Cut(jid, "/")
	return strings.ToLower(bare), resource
}
