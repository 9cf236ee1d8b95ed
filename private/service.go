// Package private is private XML storage (XEP-0049, jabber:iq:private):
// each account keeps XML elements of its own choosing, by name and
// namespace, that only it can read — bookmarks (XEP-0048) and roster
// notes (XEP-0145) for older clients. The elements are kept in the store,
// bounded per account. Some elements can be served from elsewhere (a
// Mirror): XEP-0048 bookmarks are the PEP bookmarks (XEP-0402), so that
// old and new clients of one account see the same rooms.
package private

import (
	"errors"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
	"jabberd/stream"
)

// NS is the namespace of XEP-0049.
const NS = "jabber:iq:private"

// Store keeps the elements (*store.DB implements it).
type Store interface {
	PrivateXML(owner, key string) ([]byte, error)
	SetPrivateXML(owner string, set map[string][]byte, maxBytes int) error
}

// Mirror serves one kind of element from elsewhere instead of the store.
type Mirror interface {
	// Get returns the account's element (bare JID owner), or nil for none.
	Get(owner string) (*etree.Element, error)
	// Set replaces it with el; the error is the one to answer, when it
	// is a stanza.Error.
	Set(owner string, el *etree.Element) error
}

// Options configure the service.
type Options struct {
	// Domain is the server's domain: the JIDs it answers for.
	Domain string
	Store  Store
	// MaxBytes bounds the elements an account keeps, in all, as stored
	// (chat.private_max_bytes).
	MaxBytes int
	// Mirrors serve elements by key (Key of their name and namespace).
	Mirrors map[string]Mirror
	Log     zerolog.Logger
}

// Service answers jabber:iq:private requests.
type Service struct {
	opt    Options
	domain string
}

// New returns the service.
func New(opt Options) *Service {
	return &Service{opt: opt, domain: strings.ToLower(opt.Domain)}
}

// Key is what an element is stored under: its namespace and name.
func Key(el *etree.Element) string { return "{" + el.NamespaceURI() + "}" + el.Tag }

// Features implements chat.IQHandler.
func (s *Service) Features() []string { return []string{NS} }

// HandleIQ implements chat.IQHandler: a get or set of the sender's own
// elements; anyone else's are forbidden (XEP-0049 §3).
func (s *Service) HandleIQ(from chat.Session, el, q *etree.Element, to string) bool {
	if q.Tag != "query" || q.NamespaceURI() != NS {
		return false
	}
	own := chat.Bare(from.JID())
	if to != own {
		chat.IQError(from, el, to, stanza.ErrForbidden.WithText("private storage is only your own"))
		return true
	}
	kids := q.ChildElements()
	for _, k := range kids {
		if ns := k.NamespaceURI(); ns == "" || strings.HasPrefix(ns, "jabber:") {
			// XEP-0049 §4: the jabber: namespaces are reserved.
			chat.IQError(from, el, to, stanza.ErrNotAcceptable.WithText("namespace "+strconv.Quote(ns)+" cannot be stored"))
			return true
		}
	}
	switch typ := el.SelectAttrValue("type", ""); {
	case len(kids) == 0 || (typ == "get" && len(kids) != 1):
		chat.IQError(from, el, to, stanza.ErrBadRequest.WithText("name exactly one element to get, one or more to set"))
	case typ == "get":
		s.get(from, el, kids[0], own)
	default:
		s.set(from, el, kids, own)
	}
	return true
}

// get answers with the stored element, or the empty one asked for.
func (s *Service) get(from chat.Session, el, want *etree.Element, own string) {
	key := Key(want)
	local := chat.LocalPart(own, s.domain)
	var found *etree.Element
	if m := s.opt.Mirrors[key]; m != nil {
		var err error
		if found, err = m.Get(own); err != nil {
			s.opt.Log.Error().Err(err).Str("account", local).Str("key", key).Msg("reading a mirrored private element failed")
			chat.IQError(from, el, own, stanza.ErrInternal)
			return
		}
	} else {
		b, err := s.opt.Store.PrivateXML(local, key)
		if err != nil {
			s.opt.Log.Error().Err(err).Str("account", local).Msg("reading private storage failed")
			chat.IQError(from, el, own, stanza.ErrInternal)
			return
		}
		if b != nil {
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(b); err == nil && doc.Root() != nil {
				found = doc.Root()
			}
		}
	}
	if found == nil {
		found = etree.NewElement(want.Tag)
		found.CreateAttr("xmlns", want.NamespaceURI())
	}
	res := chat.IQResult(el, from.JID())
	query := res.CreateElement("query")
	query.CreateAttr("xmlns", NS)
	query.AddChild(found)
	_ = from.Deliver(res)
}

// set stores every element of the request in one transaction, then hands
// the mirrored ones to their mirrors; past MaxBytes nothing is stored,
// nothing mirrored, and the answer is resource-constraint.
func (s *Service) set(from chat.Session, el *etree.Element, kids []*etree.Element, own string) {
	local := chat.LocalPart(own, s.domain)
	set := map[string][]byte{}
	var mirrored []*etree.Element
	for _, k := range kids {
		key := Key(k)
		if s.opt.Mirrors[key] != nil {
			mirrored = append(mirrored, k)
			continue
		}
		set[key] = stream.Marshal(stanza.Detached(k))
	}
	if len(set) > 0 {
		if err := s.opt.Store.SetPrivateXML(local, set, s.opt.MaxBytes); err != nil {
			s.failed(from, el, own, err)
			return
		}
	}
	// After the store: a refused set must not have changed the mirrored
	// elements (the bookmarks) already.
	for _, k := range mirrored {
		if err := s.opt.Mirrors[Key(k)].Set(own, stanza.Detached(k)); err != nil {
			s.failed(from, el, own, err)
			return
		}
	}
	_ = from.Deliver(chat.IQResult(el, from.JID()))
}

// failed answers a set that did not go through.
func (s *Service) failed(from chat.Session, el *etree.Element, own string, err error) {
	var se stanza.Error
	switch {
	case errors.Is(err, store.ErrPrivateFull):
		chat.IQError(from, el, own, stanza.ErrResourceConstraint.WithText("private storage keeps at most "+
			strconv.Itoa(s.opt.MaxBytes)+" bytes per account (chat.private_max_bytes)"))
	case errors.As(err, &se):
		chat.IQError(from, el, own, se)
	default:
		s.opt.Log.Error().Err(err).Str("account", own).Msg("storing private XML failed")
		chat.IQError(from, el, own, stanza.ErrInternal)
	}
}
