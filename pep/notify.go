package pep

import (
	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/store"
)

// notify sends an event about owner's node to every available session
// that wants it: the owner's own, and (unless the node is the owner's
// alone) those of the contacts with a subscription to the owner's
// presence — each when its client's caps list NODE+notify (XEP-0163
// §4.3). event makes the <event/>, once, at the first recipient (it may
// parse a payload); each message carries a copy.
func (s *Service) notify(owner, name string, cfg Config, event func() *etree.Element) {
	if s.router == nil {
		return
	}
	ownerBare := owner + "@" + s.domain
	targets := []string{ownerBare}
	if cfg.Access != AccessWhitelist {
		items, _, err := s.opt.Store.Roster(owner)
		if err != nil {
			s.opt.Log.Error().Err(err).Str("account", owner).Msg("reading the roster for PEP notifications failed")
		}
		for _, it := range items {
			if it.Subscription == store.SubFrom || it.Subscription == store.SubBoth {
				targets = append(targets, it.JID)
			}
		}
	}
	var ev *etree.Element
	for _, bare := range targets {
		if bare != ownerBare && s.router.Blocked(ownerBare, bare) {
			continue
		}
		for _, p := range s.router.Presences(bare) {
			if feats, ok := s.caps.featuresOf(p); ok && feats[name+"+notify"] {
				if ev == nil {
					ev = event()
				}
				_ = p.Deliver(eventMessage(ownerBare, p.JID(), ev.Copy()))
			}
		}
	}
}

// eventMessage is a notification from the owner's bare JID.
func eventMessage(from, to string, event *etree.Element) *etree.Element {
	m := etree.NewElement("message")
	m.CreateAttr("from", from)
	m.CreateAttr("to", to)
	m.CreateAttr("type", "headline")
	m.CreateAttr("id", newID())
	m.AddChild(event)
	return m
}

// InitialPresence implements chat.PresenceWatcher: a session that came
// online gets the last item of each node it is interested in, of its own
// account and of the contacts whose presence it sees (XEP-0163 §4.3.2),
// once its client's caps are known (now, or when its disco#info answer
// comes: HandleResult).
func (s *Service) InitialPresence(sess chat.Session, el *etree.Element) {
	if feats, ok := s.caps.featuresOf(chat.Presence{Session: sess, Presence: el}); ok {
		s.sendLast(sess, feats)
	}
}

// sendLast sends sess the last items of the nodes its client wants
// notifications of (those configured to send them on presence).
func (s *Service) sendLast(sess chat.Session, feats map[string]bool) {
	bare := chat.Bare(sess.JID())
	local := chat.LocalPart(bare, s.domain)
	if local == "" || !hasNotify(feats) {
		return
	}
	owners := []string{local}
	items, _, err := s.opt.Store.Roster(local)
	if err != nil {
		s.opt.Log.Error().Err(err).Str("account", local).Msg("reading the roster for PEP last items failed")
	}
	for _, it := range items {
		if it.Subscription == store.SubTo || it.Subscription == store.SubBoth {
			if o := chat.LocalPart(it.JID, s.domain); o != "" {
				owners = append(owners, o)
			}
		}
	}
	for _, owner := range owners {
		if owner == local || !s.router.Blocked(owner+"@"+s.domain, bare) {
			s.sendLastOf(sess, bare, owner, feats, false)
		}
	}
}

// Subscribed implements chat.SubscriptionWatcher: a session that now sees
// a contact's presence gets the last items of the contact's nodes it is
// interested in (those sent on subscription), when its caps are known.
func (s *Service) Subscribed(sess chat.Session, contactBare string) {
	owner := s.localOf(contactBare)
	if owner == "" {
		return
	}
	for _, p := range s.router.Presences(chat.Bare(sess.JID())) {
		if p.Session == sess {
			if feats, ok := s.caps.featuresOf(p); ok {
				s.sendLastOf(sess, chat.Bare(sess.JID()), owner, feats, true)
			}
		}
	}
}

// sendLastOf sends sess the last items of owner's nodes it wants: those
// sent on presence, and on a new subscription (onSub) those sent on
// subscription too.
func (s *Service) sendLastOf(sess chat.Session, bare, owner string, feats map[string]bool, onSub bool) {
	names, err := s.opt.Store.PEPNodeNames(owner)
	if err != nil {
		s.opt.Log.Error().Err(err).Str("account", owner).Msg("listing PEP nodes failed")
		return
	}
	for _, name := range names {
		if !feats[name+"+notify"] {
			continue
		}
		n, err := s.readNode(owner, name)
		send := n != nil && (n.Config.SendLast == SendOnPresence || (onSub && n.Config.SendLast == SendOnSub))
		if err != nil || !send || s.access(bare, owner, n.Config) != nil {
			continue
		}
		if last := n.last(); last != nil {
			_ = sess.Deliver(eventMessage(owner+"@"+s.domain, sess.JID(), itemsEvent(name, last.element())))
		}
	}
}

func hasNotify(feats map[string]bool) bool {
	for f := range feats {
		if len(f) > len("+notify") && f[len(f)-len("+notify"):] == "+notify" {
			return true
		}
	}
	return false
}
