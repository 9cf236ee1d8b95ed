package pep

import (
	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/stream"
)

// The bookmarks of XEP-0402 and of XEP-0048, kept in step (XEP-0402 §5,
// as Prosody's mod_bookmarks does): a room bookmarked by a new client
// (a PEP item per room on urn:xmpp:bookmarks:1) is in the one
// <storage xmlns='storage:bookmarks'/> old clients read from private
// storage (XEP-0049, "#compat") or from the PEP node storage:bookmarks
// ("#compat-pep"), and the other way round. The conferences are the same
// in both; the URLs of XEP-0048 have no XEP-0402 form and stay in the
// storage element.
const (
	NSBookmarks   = "urn:xmpp:bookmarks:1"
	NSBookmarks48 = "storage:bookmarks"
	// legacyItem is the item id of the storage element on its node.
	legacyItem = "current"
)

// bookmarkFeatures are the compatibility features of the account.
var bookmarkFeatures = []string{NSBookmarks + "#compat", NSBookmarks + "#compat-pep"}

// synced is called after one of owner's nodes changed: a change of one
// bookmarks node is carried to the other.
func (s *Service) synced(owner, name string) {
	var err error
	switch name {
	case NSBookmarks:
		err = s.bookmarksToLegacy(owner)
	case NSBookmarks48:
		err = s.legacyToBookmarks(owner)
	}
	if err != nil {
		s.opt.Log.Error().Err(err).Str("account", owner).Str("node", name).Msg("keeping the two bookmark forms in step failed")
	}
}

// readNode returns owner's node (nil: none).
func (s *Service) readNode(owner, name string) (*node, error) {
	b, err := s.opt.Store.PEPNode(owner, name)
	if err != nil {
		return nil, err
	}
	return decodeNode(b)
}

// payloadOf parses the payload of an item (nil for none).
func payloadOf(it *Item) *etree.Element {
	if it == nil {
		return nil
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromString(it.Payload); err != nil {
		return nil
	}
	return doc.Root()
}

// legacyStorage is the XEP-0048 storage element of owner: the
// conferences of the XEP-0402 node, with the URLs of the stored element.
func (s *Service) legacyStorage(owner string) (*etree.Element, error) {
	n, err := s.readNode(owner, NSBookmarks)
	if err != nil {
		return nil, err
	}
	old, err := s.readNode(owner, NSBookmarks48)
	if err != nil {
		return nil, err
	}
	out := etree.NewElement("storage")
	out.CreateAttr("xmlns", NSBookmarks48)
	if n != nil {
		for _, it := range n.Items {
			if c := payloadOf(&it); c != nil && c.Tag == "conference" {
				out.AddChild(conferenceTo48(it.ID, c))
			}
		}
	} else if p := payloadOf(old.last()); p != nil {
		return p, nil // only ever written in the old form
	}
	if p := payloadOf(old.last()); p != nil {
		for _, u := range p.SelectElements("url") {
			out.AddChild(u.Copy())
		}
	}
	return out, nil
}

// bookmarksToLegacy rewrites the storage element after a change of the
// XEP-0402 node, and notifies it — when an old client made one: the node
// is not made for clients that never use it (it would take one of the
// account's pep.max_nodes).
func (s *Service) bookmarksToLegacy(owner string) error {
	if old, err := s.readNode(owner, NSBookmarks48); err != nil || old == nil {
		return err
	}
	st, err := s.legacyStorage(owner)
	if err != nil {
		return err
	}
	it := Item{ID: legacyItem, Payload: string(stream.Marshal(st))}
	cfg, err := s.store(owner, NSBookmarks48, nil, it)
	if err != nil {
		return err
	}
	s.notify(owner, NSBookmarks48, cfg, func() *etree.Element { return itemsEvent(NSBookmarks48, it.element()) })
	return nil
}

// legacyToBookmarks makes the XEP-0402 node hold the conferences of the
// storage element, and notifies what changed.
func (s *Service) legacyToBookmarks(owner string) error {
	old, err := s.readNode(owner, NSBookmarks48)
	if err != nil {
		return err
	}
	st := payloadOf(old.last())
	if st == nil {
		return nil
	}
	var want []Item
	seen := map[string]bool{}
	for _, c := range st.SelectElements("conference") {
		// One item per room (its id is the room's JID): the first
		// conference of a JID listed twice.
		if jid := c.SelectAttrValue("jid", ""); jid != "" && !seen[jid] {
			seen[jid] = true
			want = append(want, Item{ID: jid, Payload: string(stream.Marshal(conferenceTo402(c)))})
		}
	}
	var cfg Config
	var changed []Item
	var gone []string
	err = s.update(owner, NSBookmarks, func(n *node) (*node, error) {
		if n == nil {
			n = &node{Config: defaultConfig(NSBookmarks)}
		}
		had := map[string]string{}
		for _, it := range n.Items {
			had[it.ID] = it.Payload
		}
		keep := map[string]bool{}
		for _, it := range want {
			keep[it.ID] = true
			if had[it.ID] != it.Payload {
				changed = append(changed, it)
			}
		}
		for _, it := range n.Items {
			if !keep[it.ID] {
				gone = append(gone, it.ID)
			}
		}
		n.Items = want
		n.trim(s.opt.MaxItems)
		cfg = n.Config
		return n, nil
	})
	if err != nil {
		return err
	}
	for _, it := range changed {
		s.notify(owner, NSBookmarks, cfg, func() *etree.Element { return itemsEvent(NSBookmarks, it.element()) })
	}
	for _, id := range gone {
		s.notify(owner, NSBookmarks, cfg, func() *etree.Element {
			r := etree.NewElement("retract")
			r.CreateAttr("id", id)
			return itemsEvent(NSBookmarks, r)
		})
	}
	return nil
}

// conferenceTo48 is an XEP-0402 conference (item id jid) in the form of
// XEP-0048.
func conferenceTo48(jid string, c *etree.Element) *etree.Element {
	out := etree.NewElement("conference")
	out.CreateAttr("jid", jid)
	return copyConference(c, out)
}

// conferenceTo402 is an XEP-0048 conference as the payload of its
// XEP-0402 item.
func conferenceTo402(c *etree.Element) *etree.Element {
	out := etree.NewElement("conference")
	out.CreateAttr("xmlns", NSBookmarks)
	return copyConference(c, out)
}

// copyConference copies what both forms of a conference say: name,
// autojoin, nick and password.
func copyConference(c, out *etree.Element) *etree.Element {
	if v := c.SelectAttrValue("name", ""); v != "" {
		out.CreateAttr("name", v)
	}
	if v := c.SelectAttrValue("autojoin", ""); v == "true" || v == "1" {
		out.CreateAttr("autojoin", "true")
	}
	for _, tag := range []string{"nick", "password"} {
		if e := c.SelectElement(tag); e != nil {
			out.CreateElement(tag).SetText(e.Text())
		}
	}
	return out
}

// localOf returns the local part of a bare JID of the domain, or "".
func (s *Service) localOf(bare string) string { return chat.LocalPart(bare, s.domain) }

// PrivateBookmarks is the private-storage mirror of storage:bookmarks
// (private.Mirror): what old clients keep there is the PEP bookmarks.
type PrivateBookmarks struct{ S *Service }

// Get returns the account's bookmarks in the form of XEP-0048 (nil: none).
func (m PrivateBookmarks) Get(owner string) (*etree.Element, error) {
	local := m.S.localOf(owner)
	n, err := m.S.readNode(local, NSBookmarks)
	if err != nil {
		return nil, err
	}
	old, err := m.S.readNode(local, NSBookmarks48)
	if err != nil || (n == nil && old == nil) {
		return nil, err
	}
	return m.S.legacyStorage(local)
}

// Set stores the account's bookmarks given in the form of XEP-0048 as if
// published on storage:bookmarks.
func (m PrivateBookmarks) Set(owner string, el *etree.Element) error {
	local := m.S.localOf(owner)
	it := Item{ID: legacyItem, Payload: string(stream.Marshal(stanza.Detached(el)))}
	if len(it.Payload) > m.S.opt.MaxItemBytes {
		return stanza.ErrPolicyViolation.WithText("the bookmarks are too large (pep.max_item_bytes)")
	}
	cfg, err := m.S.store(local, NSBookmarks48, nil, it)
	if err != nil {
		return err
	}
	m.S.notify(local, NSBookmarks48, cfg, func() *etree.Element { return itemsEvent(NSBookmarks48, it.element()) })
	m.S.synced(local, NSBookmarks48)
	return nil
}
