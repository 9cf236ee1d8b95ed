package pep

import (
	"strconv"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

// items answers an items request (XEP-0060 §6.5): all of a node's items,
// those with the ids asked, or the newest max_items, oldest first — for
// whoever the node's access model lets in.
func (s *Service) items(from chat.Session, el, op *etree.Element, owner, to string) error {
	name := op.SelectAttrValue("node", "")
	if name == "" {
		return appError(stanza.ErrBadRequest, "nodeid-required")
	}
	n, err := s.readNode(owner, name)
	if err != nil {
		return err
	}
	if n == nil {
		return stanza.ErrItemNotFound
	}
	if err := s.access(chat.Bare(from.JID()), owner, n.Config); err != nil {
		return err
	}
	list := n.Items
	if want := op.SelectElements("item"); len(want) > 0 {
		list = nil
		for _, w := range want {
			for _, it := range n.Items {
				if it.ID == w.SelectAttrValue("id", "") {
					list = append(list, it)
				}
			}
		}
	} else if m, err := strconv.Atoi(op.SelectAttrValue("max_items", "")); err == nil && m >= 0 && m < len(list) {
		list = list[len(list)-m:]
	}
	res, ps := pubsubResult(from, el, NS)
	out := ps.CreateElement("items")
	out.CreateAttr("node", name)
	for _, it := range list {
		out.AddChild(it.element())
	}
	_ = from.Deliver(res)
	return nil
}

// discoItems lists the nodes of owner the requester may read (XEP-0060
// §5.2, discover nodes).
func (s *Service) discoItems(from chat.Session, el *etree.Element, owner, to string) {
	names, err := s.opt.Store.PEPNodeNames(owner)
	if err != nil {
		s.fail(from, el, to, err)
		return
	}
	res := chat.IQResult(el, from.JID())
	q := res.CreateElement("query")
	q.CreateAttr("xmlns", chat.NSDiscoItem)
	requester := chat.Bare(from.JID())
	for _, name := range names {
		if n, err := s.readNode(owner, name); err == nil && n != nil && s.access(requester, owner, n.Config) == nil {
			it := q.CreateElement("item")
			it.CreateAttr("jid", to)
			it.CreateAttr("node", name)
		}
	}
	_ = from.Deliver(res)
}

// access is nil when the account whose bare JID is requester may read
// owner's node of configuration cfg, else the error to answer (XEP-0060
// §6.5.9: presence-subscription-required, closed-node).
func (s *Service) access(requester, owner string, cfg Config) error {
	if requester == owner+"@"+s.domain {
		return nil
	}
	switch cfg.Access {
	case AccessOpen:
		return nil
	case AccessPresence:
		it, found, err := s.opt.Store.RosterItem(owner, requester)
		if err != nil {
			return err
		}
		if found && (it.Subscription == store.SubFrom || it.Subscription == store.SubBoth) {
			return nil
		}
		return appError(stanza.ErrNotAuthorized, "presence-subscription-required")
	}
	return appError(stanza.ErrNotAllowed, "closed-node")
}

// itemsEvent is the <event/> of a notification with one child of
// <items/>: an item or a retraction.
func itemsEvent(node string, child *etree.Element) *etree.Element {
	ev := etree.NewElement("event")
	ev.CreateAttr("xmlns", NSEvent)
	items := ev.CreateElement("items")
	items.CreateAttr("node", node)
	items.AddChild(child)
	return ev
}
