package pep

import (
	"errors"
	"strconv"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
	"jabberd/stream"
)

// publish stores an item on one of the owner's nodes, creating the node
// (with the publish-options as its configuration) when it does not exist;
// on an existing node the publish-options are preconditions (XEP-0060
// §7.1.5). The interested are notified.
func (s *Service) publish(from chat.Session, el, op, opts *etree.Element, owner string) error {
	name := op.SelectAttrValue("node", "")
	items := op.SelectElements("item")
	if len(items) > 1 {
		return appError(stanza.ErrBadRequest.WithText("one item per publish"), "invalid-payload")
	}
	var payload *etree.Element
	id := ""
	if len(items) == 1 {
		id = items[0].SelectAttrValue("id", "")
		kids := items[0].ChildElements()
		if len(kids) > 1 {
			return appError(stanza.ErrBadRequest, "invalid-payload")
		}
		if len(kids) == 1 {
			payload = kids[0]
		}
	}
	if payload == nil {
		return appError(stanza.ErrBadRequest, "payload-required")
	}
	if id == "" {
		id = newID()
	}
	it := Item{ID: id, Payload: string(stream.Marshal(stanza.Detached(payload)))}
	if len(it.Payload) > s.opt.MaxItemBytes {
		return appError(stanza.ErrPolicyViolation.WithText("the item is "+strconv.Itoa(len(it.Payload))+
			" bytes; at most "+strconv.Itoa(s.opt.MaxItemBytes)+" are kept (pep.max_item_bytes)"), "payload-too-big")
	}
	cfg, err := s.store(owner, name, dataForm(opts), it)
	if err != nil {
		return err
	}
	res, ps := pubsubResult(from, el, NS)
	pub := ps.CreateElement("publish")
	pub.CreateAttr("node", name)
	pub.CreateElement("item").CreateAttr("id", id)
	_ = from.Deliver(res)
	s.notify(owner, name, cfg, func() *etree.Element { return itemsEvent(name, it.element()) })
	s.synced(owner, name)
	return nil
}

// store puts it on the node, made with the options' configuration when
// new, and returns the node's configuration.
func (s *Service) store(owner, name string, opts *etree.Element, it Item) (Config, error) {
	fields := formFields(opts)
	var cfg Config
	err := s.update(owner, name, func(n *node) (*node, error) {
		if n == nil {
			n = &node{Config: defaultConfig(name)}
			if err := n.Config.apply(fields, s.opt.MaxItems); err != nil {
				return nil, err
			}
		} else if ok, field := n.Config.meets(fields, s.opt.MaxItems); !ok {
			return nil, appError(stanza.ErrConflict.WithText("the node's "+field+" differs from the publish-options"), "precondition-not-met")
		}
		n.put(it, s.opt.MaxItems)
		cfg = n.Config
		return n, nil
	})
	if errors.Is(err, store.ErrTooManyNodes) {
		return cfg, appError(stanza.ErrResourceConstraint.WithText("an account has at most "+
			strconv.Itoa(s.opt.MaxNodes)+" nodes (pep.max_nodes)"), "max-nodes-exceeded")
	}
	return cfg, err
}

// retract removes an item; the interested are told when the node
// notifies retractions or the request asks it.
func (s *Service) retract(from chat.Session, el, op *etree.Element, owner string) error {
	name := op.SelectAttrValue("node", "")
	item := op.SelectElement("item")
	id := ""
	if item != nil {
		id = item.SelectAttrValue("id", "")
	}
	if id == "" {
		return appError(stanza.ErrBadRequest, "item-required")
	}
	var cfg Config
	err := s.update(owner, name, func(n *node) (*node, error) {
		if n == nil || !n.remove(id) {
			return nil, stanza.ErrItemNotFound
		}
		cfg = n.Config
		return n, nil
	})
	if err != nil {
		return err
	}
	_ = from.Deliver(chat.IQResult(el, from.JID()))
	if notify := op.SelectAttrValue("notify", ""); cfg.NotifyRetract || notify == "1" || notify == "true" {
		s.notify(owner, name, cfg, func() *etree.Element {
			r := etree.NewElement("retract")
			r.CreateAttr("id", id)
			return itemsEvent(name, r)
		})
	}
	s.synced(owner, name)
	return nil
}

// deleteNode removes a node and its items and tells the interested.
func (s *Service) deleteNode(from chat.Session, el *etree.Element, name, owner string) error {
	var cfg Config
	err := s.update(owner, name, func(n *node) (*node, error) {
		if n == nil {
			return nil, stanza.ErrItemNotFound
		}
		cfg = n.Config
		return nil, nil // removed
	})
	if err != nil {
		return err
	}
	_ = from.Deliver(chat.IQResult(el, from.JID()))
	s.notify(owner, name, cfg, func() *etree.Element {
		ev := etree.NewElement("event")
		ev.CreateAttr("xmlns", NSEvent)
		ev.CreateElement("delete").CreateAttr("node", name)
		return ev
	})
	s.synced(owner, name)
	return nil
}

// configure reads (get) or changes (set) a node's configuration.
func (s *Service) configure(from chat.Session, el, op *etree.Element, typ, owner string) error {
	name := op.SelectAttrValue("node", "")
	if typ == "get" {
		n, err := s.readNode(owner, name)
		if err != nil {
			return err
		}
		if n == nil {
			return stanza.ErrItemNotFound
		}
		res, ps := pubsubResult(from, el, NSOwner)
		c := ps.CreateElement("configure")
		c.CreateAttr("node", name)
		c.AddChild(n.Config.form())
		_ = from.Deliver(res)
		return nil
	}
	x := dataForm(op)
	if x == nil {
		return stanza.ErrBadRequest.WithText("a configure set carries a data form")
	}
	if x.SelectAttrValue("type", "") != "cancel" {
		err := s.update(owner, name, func(n *node) (*node, error) {
			if n == nil {
				return nil, stanza.ErrItemNotFound
			}
			if err := n.Config.apply(formFields(x), s.opt.MaxItems); err != nil {
				return nil, err
			}
			n.trim(s.opt.MaxItems)
			return n, nil
		})
		if err != nil {
			return err
		}
	}
	_ = from.Deliver(chat.IQResult(el, from.JID()))
	return nil
}
