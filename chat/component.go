package chat

import (
	"strings"

	"github.com/beevik/etree"
)

// Component is an in-process service on its own domain (the multi-user
// chat service on conference.<domain>): the router hands it every stanza
// addressed to that domain or a JID on it, and tells it when a session
// becomes unavailable.
type Component interface {
	// Domain is the component's JID (lower case).
	Domain() string
	// Name is its name in the server's disco#items.
	Name() string
	// Attach gives the component the router it delivers through; called
	// once, by NewRouter.
	Attach(Deliverer)
	// Handle takes a stanza from a bound session (from, its full JID).
	Handle(from string, el *etree.Element)
	// Gone says that the session bound to full is unavailable (it sent
	// unavailable presence, or it ended).
	Gone(full string)
}

// Deliverer is what a component delivers through. *Router implements it.
type Deliverer interface {
	// DeliverTo hands el to a local JID: a bound full JID's session, or
	// a bare JID's available sessions of highest priority. false if no
	// session took it. el is not touched again by the caller.
	DeliverTo(to string, el *etree.Element) bool
}

// DeliverTo implements Deliverer.
func (r *Router) DeliverTo(to string, el *etree.Element) bool {
	bare, res := split(to)
	if res != "" {
		if s := r.Lookup(to); s != nil {
			return s.Deliver(el) == nil
		}
		return false
	}
	local := r.localOf(bare)
	if local == "" {
		return false
	}
	return r.deliverToBest(el, local)
}

// component returns the component serving the domain of a bare JID.
func (r *Router) component(bare string) Component {
	if len(r.opt.Components) == 0 {
		return nil
	}
	_, domain, ok := strings.Cut(bare, "@")
	if !ok {
		domain = bare
	}
	for _, c := range r.opt.Components {
		if c.Domain() == domain {
			return c
		}
	}
	return nil
}

// gone tells every component that a session is unavailable.
func (r *Router) gone(full string) {
	for _, c := range r.opt.Components {
		c.Gone(full)
	}
}
