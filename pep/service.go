// Package pep is the Personal Eventing Protocol (XEP-0163): every account
// is a publish-subscribe service on its bare JID (the XEP-0060 subset
// clients use), whose nodes hold the account's avatar (XEP-0084),
// bookmarks (XEP-0402), OMEMO keys (XEP-0384), nickname (XEP-0172) and
// private data (XEP-0223). Contacts are subscribed by their presence
// subscription and their interest, which their clients say through
// entity capabilities (XEP-0115, NODE+notify); the server learns what a
// caps hash means by asking a client once and remembers it in a bounded
// cache. Nodes and items are kept in the store, bounded per account. It
// hooks into the chat router as an IQ handler (chat.IQHandler and the
// optional hooks of chat/handler.go).
package pep

import (
	"errors"
	"strings"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

// Namespaces of XEP-0060.
const (
	NS       = "http://jabber.org/protocol/pubsub"
	NSOwner  = NS + "#owner"
	NSEvent  = NS + "#event"
	NSErrors = NS + "#errors"
)

// Store keeps the nodes and reads the rosters (*store.DB implements it).
type Store interface {
	PEPNode(owner, node string) ([]byte, error)
	PEPNodeNames(owner string) ([]string, error)
	UpdatePEPNode(owner, node string, lim store.PEPLimits, fn func(cur []byte) ([]byte, error)) error
	Roster(owner string) ([]store.RosterItem, uint64, error)
	RosterItem(owner, jid string) (store.RosterItem, bool, error)
}

// Options configure the service.
type Options struct {
	// Domain is the server's domain: the accounts are its JIDs.
	Domain string
	Store  Store
	// MaxNodes bounds an account's nodes (pep.max_nodes).
	MaxNodes int
	// MaxBytes bounds an account's nodes in all, as stored
	// (pep.max_bytes_per_account).
	MaxBytes int
	// MaxItems bounds a node's items (pep.max_items), also "max".
	MaxItems int
	// MaxItemBytes bounds an item's payload as stored (pep.max_item_bytes).
	MaxItemBytes int
	// CapsCache is how many caps hashes' features are remembered
	// (pep.caps_cache).
	CapsCache int
	Log       zerolog.Logger
}

// Service answers the accounts' PEP requests and notifies.
type Service struct {
	opt    Options
	domain string
	router *chat.Router
	caps   *capsCache
}

// New returns the service.
func New(opt Options) (*Service, error) {
	caps, err := newCapsCache(max(opt.CapsCache, 1))
	if err != nil {
		return nil, err
	}
	return &Service{opt: opt, domain: strings.ToLower(opt.Domain), caps: caps}, nil
}

// UseRouter implements chat.RouterUser.
func (s *Service) UseRouter(r *chat.Router) { s.router = r }

// features are the XEP-0060 features PEP implements (XEP-0163 §6).
var features = []string{
	NS, NS + "#publish", NS + "#publish-options", NS + "#auto-create", NS + "#auto-subscribe",
	NS + "#filtered-notifications", NS + "#retrieve-items", NS + "#retract-items", NS + "#delete-items",
	NS + "#delete-nodes", NS + "#config-node", NS + "#persistent-items", NS + "#last-published",
	NS + "#item-ids", NS + "#multi-items", NS + "#access-presence", NS + "#access-open", NS + "#access-whitelist",
}

// Features implements chat.IQHandler: clients look for PEP in the
// server's disco#info too.
func (s *Service) Features() []string { return features }

// AccountFeatures implements chat.AccountFeaturer.
func (s *Service) AccountFeatures() []string {
	return append(features[:len(features):len(features)], bookmarkFeatures...)
}

// AccountIdentity implements chat.AccountIdentifier.
func (s *Service) AccountIdentity() (string, string) { return "pubsub", "pep" }

// HandleIQ implements chat.IQHandler: pubsub requests to an account's
// bare JID. Only the owner publishes, retracts, configures and deletes;
// anyone the access model lets in reads items.
func (s *Service) HandleIQ(from chat.Session, el, q *etree.Element, to string) bool {
	ns := q.NamespaceURI()
	owner := chat.LocalPart(to, s.domain)
	if owner == "" {
		return false // the server itself has no pubsub service
	}
	if q.Tag == "query" && ns == chat.NSDiscoItem && el.SelectAttrValue("type", "") == "get" && q.SelectAttr("node") == nil {
		s.discoItems(from, el, owner, to)
		return true
	}
	if q.Tag != "pubsub" || (ns != NS && ns != NSOwner) {
		return false
	}
	kids := q.ChildElements()
	if len(kids) == 0 {
		chat.IQError(from, el, to, stanza.ErrBadRequest)
		return true
	}
	op, typ := kids[0], el.SelectAttrValue("type", "")
	own := to == chat.Bare(from.JID())
	nodeName := op.SelectAttrValue("node", "")
	var err error
	switch {
	case ns == NS && op.Tag == "items" && typ == "get":
		err = s.items(from, el, op, owner, to)
	case !own && typ == "set":
		err = stanza.ErrForbidden.WithText("only the account's owner changes its nodes")
	case nodeName == "" && op.Tag != "items":
		err = appError(stanza.ErrBadRequest, "nodeid-required")
	case ns == NS && op.Tag == "publish" && typ == "set":
		err = s.publish(from, el, op, q.SelectElement("publish-options"), owner)
	case ns == NS && op.Tag == "retract" && typ == "set":
		err = s.retract(from, el, op, owner)
	case ns == NSOwner && op.Tag == "configure" && own:
		err = s.configure(from, el, op, typ, owner)
	case ns == NSOwner && op.Tag == "delete" && typ == "set":
		err = s.deleteNode(from, el, nodeName, owner)
	case !own:
		err = stanza.ErrForbidden
	default:
		err = appError(stanza.ErrFeatureNotImpl, "unsupported", "feature", op.Tag)
	}
	if err != nil {
		s.fail(from, el, to, err)
	}
	return true
}

// pubsubError is a stanza error with its XEP-0060 condition.
type pubsubError struct {
	e     stanza.Error
	app   string
	attrs []string // name, value pairs of the condition element
}

func appError(e stanza.Error, app string, attrs ...string) error {
	return pubsubError{e, app, attrs}
}

func (p pubsubError) Error() string { return p.e.Error() + " (" + p.app + ")" }

// fail answers a request with err: a stanza error (with its pubsub
// condition) as it is, anything else as internal-server-error.
func (s *Service) fail(from chat.Session, el *etree.Element, to string, err error) {
	var pe pubsubError
	var se stanza.Error
	switch {
	case errors.As(err, &pe):
		reply := chat.IQErrorReply(from, el, to, pe.e)
		if reply == nil {
			return
		}
		if e := reply.SelectElement("error"); e != nil {
			c := etree.NewElement(pe.app)
			c.CreateAttr("xmlns", NSErrors)
			for i := 0; i+1 < len(pe.attrs); i += 2 {
				c.CreateAttr(pe.attrs[i], pe.attrs[i+1])
			}
			// After the defined condition, before the text.
			e.InsertChildAt(1, c)
		}
		_ = from.Deliver(reply)
	case errors.As(err, &se):
		chat.IQError(from, el, to, se)
	default:
		s.opt.Log.Error().Err(err).Str("jid", to).Msg("a PEP request failed")
		chat.IQError(from, el, to, stanza.ErrInternal)
	}
}

// pubsubResult is an IQ result with a <pubsub/> of namespace ns.
func pubsubResult(from chat.Session, el *etree.Element, ns string) (*etree.Element, *etree.Element) {
	res := chat.IQResult(el, from.JID())
	ps := res.CreateElement("pubsub")
	ps.CreateAttr("xmlns", ns)
	return res, ps
}
