// Package vcard is vcard-temp (XEP-0054) for the server's accounts — each
// account's own vCard, read by anyone on the server, kept in the store and
// bounded in size — and the XEP-0153 photo hash the server adds to the
// presence of an account whose vCard has a photo. It hooks into the chat
// router as an IQ handler (chat.IQHandler, chat.PresenceStamper).
package vcard

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/stream"
)

// Namespaces of XEP-0054 and XEP-0153.
const (
	NS       = "vcard-temp"
	NSUpdate = "vcard-temp:x:update"
)

// Store keeps the vCards (*store.DB implements it).
type Store interface {
	VCard(owner string) ([]byte, error)
	VCardPhoto(owner string) (string, error)
	SetVCard(owner string, vcard []byte, photo string) error
}

// Options configure the service.
type Options struct {
	// Domain is the server's domain: the JIDs it answers for.
	Domain string
	Store  Store
	// MaxBytes bounds a vCard as stored (chat.vcard_max_bytes).
	MaxBytes int
	// PhotoCache is how many accounts' photo hashes are kept in memory
	// (chat.vcard_photo_cache).
	PhotoCache int
	Log        zerolog.Logger
}

// Service answers vcard-temp requests and stamps presence.
type Service struct {
	opt    Options
	domain string
	// photos: bare JID → photo hash ("" for none), so that a presence
	// costs no store read once its account is known.
	photos *lru.Cache[string, string]
}

// New returns the service.
func New(opt Options) (*Service, error) {
	photos, err := lru.New[string, string](max(opt.PhotoCache, 1))
	if err != nil {
		return nil, err
	}
	return &Service{opt: opt, domain: strings.ToLower(opt.Domain), photos: photos}, nil
}

// Features implements chat.IQHandler.
func (s *Service) Features() []string { return []string{NS} }

// HandleIQ implements chat.IQHandler: a get of any account's vCard (or of
// the server's, which has none), a set of the sender's own.
func (s *Service) HandleIQ(from chat.Session, el, q *etree.Element, to string) bool {
	if q.Tag != "vCard" || q.NamespaceURI() != NS {
		return false
	}
	own := chat.Bare(from.JID())
	switch el.SelectAttrValue("type", "") {
	case "get":
		s.get(from, el, to)
	case "set":
		if to != own {
			chat.IQError(from, el, to, stanza.ErrForbidden.WithText("only your own vCard can be set"))
			return true
		}
		s.set(from, el, q, own)
	}
	return true
}

// get answers with the stored vCard, or an empty one when there is none
// (XEP-0054 §3.1 allows either that or item-not-found; clients take the
// empty one without complaint).
func (s *Service) get(from chat.Session, el *etree.Element, to string) {
	res := chat.IQResult(el, from.JID())
	var card []byte
	if local := s.localOf(to); local != "" {
		var err error
		if card, err = s.opt.Store.VCard(local); err != nil {
			s.opt.Log.Error().Err(err).Str("account", local).Msg("reading a vCard failed")
			chat.IQError(from, el, to, stanza.ErrInternal)
			return
		}
	}
	if card != nil {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(card); err != nil || doc.Root() == nil {
			s.opt.Log.Error().Err(err).Str("jid", to).Msg("a stored vCard is unreadable; answered as empty")
		} else {
			res.AddChild(doc.Root())
			_ = from.Deliver(res)
			return
		}
	}
	res.CreateElement("vCard").CreateAttr("xmlns", NS)
	_ = from.Deliver(res)
}

// set stores the sender's vCard (an empty one deletes it) with its photo's
// hash. A vCard past MaxBytes is refused with not-acceptable, as XEP-0060
// refuses a payload that is too big: the bound is on what this one request
// asks, and retrying (resource-constraint is of type wait) cannot help.
func (s *Service) set(from chat.Session, el, q *etree.Element, own string) {
	card := stanza.Detached(q)
	var b []byte
	photo := ""
	if len(card.ChildElements()) > 0 {
		b = stream.Marshal(card)
		photo = photoHash(card)
	}
	if len(b) > s.opt.MaxBytes {
		chat.IQError(from, el, own, stanza.ErrNotAcceptable.WithText("the vCard is "+strconv.Itoa(len(b))+
			" bytes; at most "+strconv.Itoa(s.opt.MaxBytes)+" are kept (chat.vcard_max_bytes): use a smaller photo"))
		return
	}
	local := s.localOf(own)
	if err := s.opt.Store.SetVCard(local, b, photo); err != nil {
		s.opt.Log.Error().Err(err).Str("account", local).Msg("storing a vCard failed")
		chat.IQError(from, el, own, stanza.ErrInternal)
		return
	}
	s.photos.Add(own, photo)
	_ = from.Deliver(chat.IQResult(el, from.JID()))
}

// localOf returns the local part of a bare JID of this domain, or "".
func (s *Service) localOf(bare string) string { return chat.LocalPart(bare, s.domain) }
