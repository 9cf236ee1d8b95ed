package muc

import "github.com/beevik/etree"

// What a submitted configuration changes besides the room's settings: the
// store, the occupants' notice, and who may stay.

// applyConfig makes cfg the room's configuration. A room made persistent
// is written to the store with what was said so far (joiners after a
// restart see what joiners before it would have); one made temporary is
// deleted from it. The occupants get status 104, with 170 or 171 when the
// room's logging was turned on or off, 172 or 173 when it became
// non-anonymous or semi-anonymous; a room made members-only
// removes those who are not members (322).
func (r *Room) applyConfig(cfg Config) {
	old := r.cfg
	r.cfg = cfg
	switch {
	case cfg.Persistent && !old.Persistent:
		r.save()
		for _, h := range r.history {
			r.saveHistory(h)
		}
	case cfg.Persistent:
		r.save()
	case old.Persistent:
		r.unsave()
	}
	codes := []string{"104"}
	if cfg.Logged != old.Logged && r.s.opt.Archive != nil {
		if cfg.Logged {
			codes = append(codes, "170")
		} else {
			codes = append(codes, "171")
		}
	}
	if cfg.Whois != old.Whois {
		if cfg.Whois == "anyone" {
			codes = append(codes, "172")
		} else {
			codes = append(codes, "173")
		}
	}
	r.notifyConfig(codes)
	if cfg.MembersOnly && !old.MembersOnly {
		for _, o := range r.occupants {
			if affilRank[r.affiliation(bareOf(o.jid))] < affilRank[Member] {
				r.kick(o, "", "", "322")
			}
		}
	}
}

// notifyConfig tells the occupants the configuration changed.
func (r *Room) notifyConfig(codes []string) {
	for _, to := range r.occupants {
		m := etree.NewElement("message")
		m.CreateAttr("from", r.jid)
		m.CreateAttr("type", "groupchat")
		x := m.CreateElement("x")
		x.CreateAttr("xmlns", NSUser)
		for _, c := range codes {
			x.CreateElement("status").CreateAttr("code", c)
		}
		r.sendOcc(to, m)
	}
}
