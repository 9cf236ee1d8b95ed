package mam

import (
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

// defaults are the values of <prefs default=.../> (XEP-0313 §6).
var defaults = map[string]bool{"always": true, "never": true, "roster": true}

// getPrefs answers with the account's preferences (always, when it set
// none: everything is archived).
func (s *Service) getPrefs(from chat.Session, el *etree.Element, own string) {
	p, found, err := s.opt.Store.ArchivePrefs(own)
	if err != nil {
		s.opt.Log.Error().Err(err).Str("account", own).Msg("reading archiving preferences failed")
		chat.IQError(from, el, own, stanza.ErrInternal)
		return
	}
	if !found {
		p.Default = "always"
	}
	res := chat.IQResult(el, from.JID())
	res.AddChild(prefsElement(p))
	_ = from.Deliver(res)
}

// setPrefs replaces the account's preferences and answers with them
// (XEP-0313 §6.1). Lists past MaxPrefsJIDs are refused with
// resource-constraint.
func (s *Service) setPrefs(from chat.Session, el, q *etree.Element, own string) {
	p := store.ArchivePrefs{Default: q.SelectAttrValue("default", "")}
	if !defaults[p.Default] {
		chat.IQError(from, el, own, errBadRequest.WithText("default must be always, never or roster, not "+strconv.Quote(p.Default)))
		return
	}
	p.Always = jids(q, "always")
	p.Never = jids(q, "never")
	if n := len(p.Always) + len(p.Never); n > s.opt.MaxPrefsJIDs {
		chat.IQError(from, el, own, stanza.ErrResourceConstraint.WithText(
			strconv.Itoa(n)+" JIDs in always and never; at most "+strconv.Itoa(s.opt.MaxPrefsJIDs)+" are kept (chat.archive_max_prefs_jids)"))
		return
	}
	if err := s.opt.Store.SetArchivePrefs(own, p); err != nil {
		s.opt.Log.Error().Err(err).Str("account", own).Msg("storing archiving preferences failed")
		chat.IQError(from, el, own, stanza.ErrInternal)
		return
	}
	s.prefs.Add(own, p)
	res := chat.IQResult(el, from.JID())
	res.AddChild(prefsElement(p))
	_ = from.Deliver(res)
}

// jids are the bare JIDs of one list of a prefs element, lower case, once
// each.
func jids(q *etree.Element, list string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range q.SelectElements(list) {
		for _, j := range l.SelectElements("jid") {
			bare, _, _ := strings.Cut(strings.TrimSpace(j.Text()), "/")
			bare = strings.ToLower(bare)
			if bare != "" && !seen[bare] {
				seen[bare] = true
				out = append(out, bare)
			}
		}
	}
	return out
}

func prefsElement(p store.ArchivePrefs) *etree.Element {
	e := etree.NewElement("prefs")
	e.CreateAttr("xmlns", NS)
	e.CreateAttr("default", p.Default)
	for _, l := range []struct {
		name string
		jids []string
	}{{"always", p.Always}, {"never", p.Never}} {
		le := e.CreateElement(l.name)
		for _, j := range l.jids {
			le.CreateElement("jid").SetText(j)
		}
	}
	return e
}
