package pep

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	lru "github.com/hashicorp/golang-lru/v2"

	"jabberd/chat"
)

// NSCaps is entity capabilities (XEP-0115).
const NSCaps = "http://jabber.org/protocol/caps"

// maxPending bounds the disco#info requests waiting for an answer, and
// askAgain is how long one waits before the next presence with the same
// caps asks again (its client may never have answered).
const (
	maxPending = 1000
	askAgain   = time.Minute
)

// capsCache remembers what the caps hashes the server saw mean: hash and
// ver → the client's features. Answers whose hash does not verify are
// remembered for the one full JID that gave them.
type capsCache struct {
	known *lru.Cache[string, map[string]bool]
	// pending: key → the query sent for it, until answered (the oldest
	// dropped past maxPending: a client may never answer).
	pending *lru.Cache[string, *query]
	// mu guards the waiters of the pending queries.
	mu sync.Mutex
}

// query is a disco#info request in flight.
type query struct {
	jid, node, ver, hash string
	sent                 time.Time
	waiters              []string // other full JIDs with the same caps
}

func newCapsCache(size int) (*capsCache, error) {
	known, err := lru.New[string, map[string]bool](size)
	if err != nil {
		return nil, err
	}
	pending, err := lru.New[string, *query](maxPending)
	if err != nil {
		return nil, err
	}
	return &capsCache{known: known, pending: pending}, nil
}

// capsOf reads the <c/> of a presence.
func capsOf(p *etree.Element) (node, ver, hashName string, ok bool) {
	if p == nil {
		return "", "", "", false
	}
	for _, c := range p.ChildElements() {
		if c.Tag == "c" && c.NamespaceURI() == NSCaps {
			ver = c.SelectAttrValue("ver", "")
			return c.SelectAttrValue("node", ""), ver, c.SelectAttrValue("hash", ""), ver != ""
		}
	}
	return "", "", "", false
}

func capsKey(hashName, ver string) string { return hashName + " " + ver }

// featuresOf returns the features of the client of an available session,
// false when unknown.
func (c *capsCache) featuresOf(p chat.Presence) (map[string]bool, bool) {
	_, ver, h, ok := capsOf(p.Presence)
	if !ok {
		return nil, false
	}
	if f, ok := c.known.Get(capsKey(h, ver)); ok {
		return f, true
	}
	return c.known.Get("jid " + p.JID())
}

// StampPresence implements chat.PresenceStamper: it adds nothing, but an
// available broadcast presence whose caps the server does not know yet
// makes it ask the client (once per caps, XEP-0115 §6.3).
func (s *Service) StampPresence(account string, el *etree.Element) {
	node, ver, h, ok := capsOf(el)
	if !ok || el.SelectAttr("to") != nil || s.router == nil {
		return
	}
	key := capsKey(h, ver)
	if s.caps.known.Contains(key) {
		return
	}
	full := el.SelectAttrValue("from", "")
	if q, ok := s.caps.pending.Get(key); ok && time.Since(q.sent) < askAgain {
		s.caps.mu.Lock()
		if q.jid != full && len(q.waiters) < 100 && !slices.Contains(q.waiters, full) {
			q.waiters = append(q.waiters, full)
		}
		s.caps.mu.Unlock()
		return
	}
	sess := s.router.Lookup(full)
	if sess == nil {
		return
	}
	s.caps.pending.Add(key, &query{jid: full, node: node, ver: ver, hash: h, sent: time.Now()})
	iq := etree.NewElement("iq")
	iq.CreateAttr("type", "get")
	iq.CreateAttr("from", s.domain)
	iq.CreateAttr("to", full)
	iq.CreateAttr("id", "caps "+key)
	q := iq.CreateElement("query")
	q.CreateAttr("xmlns", chat.NSDiscoInfo)
	q.CreateAttr("node", node+"#"+ver)
	_ = sess.Deliver(iq)
}

// HandleResult implements chat.ResultHandler: the answer to a caps
// query. Its features are remembered (under the hash when the answer
// verifies, else for the one JID), and the sessions that waited get the
// last items they are interested in.
func (s *Service) HandleResult(from chat.Session, el *etree.Element) bool {
	key, ok := strings.CutPrefix(el.SelectAttrValue("id", ""), "caps ")
	if !ok {
		return false
	}
	q, ok := s.caps.pending.Peek(key)
	if !ok || q.jid != from.JID() {
		return ok
	}
	s.caps.pending.Remove(key)
	info := el.SelectElement("query")
	if el.SelectAttrValue("type", "") != "result" || info == nil || info.NamespaceURI() != chat.NSDiscoInfo {
		return true
	}
	feats := map[string]bool{}
	for _, f := range info.SelectElements("feature") {
		feats[f.SelectAttrValue("var", "")] = true
	}
	if verify(q.hash, info) == q.ver {
		s.caps.known.Add(key, feats)
	} else {
		s.opt.Log.Info().Str("jid", q.jid).Str("ver", q.ver).Msg("a client's disco#info does not match its caps hash: kept for it alone")
		s.caps.known.Add("jid "+q.jid, feats)
	}
	s.sendLast(from, feats)
	s.caps.mu.Lock()
	waiters := q.waiters
	s.caps.mu.Unlock()
	for _, w := range waiters {
		if sess := s.router.Lookup(w); sess != nil {
			if f, ok := s.caps.known.Get(key); ok {
				s.sendLast(sess, f)
			}
		}
	}
	return true
}

// verify computes the XEP-0115 §5 verification string of a disco#info
// answer with the named hash ("" for a hash it does not know).
func verify(hashName string, info *etree.Element) string {
	var h hash.Hash
	switch hashName {
	case "sha-1":
		h = sha1.New()
	case "sha-256":
		h = sha256.New()
	default:
		return ""
	}
	// Each list is sorted before "<" is appended: "nick" comes before
	// "nick+notify" ('+' sorts before '<').
	var ids, feats []string
	for _, id := range info.SelectElements("identity") {
		ids = append(ids, id.SelectAttrValue("category", "")+"/"+id.SelectAttrValue("type", "")+"/"+
			id.SelectAttrValue("xml:lang", "")+"/"+id.SelectAttrValue("name", ""))
	}
	for _, f := range info.SelectElements("feature") {
		feats = append(feats, f.SelectAttrValue("var", ""))
	}
	var forms []string
	for _, x := range info.SelectElements("x") {
		if x.NamespaceURI() == nsData {
			forms = append(forms, formString(x))
		}
	}
	slices.Sort(forms)
	h.Write([]byte(joinSorted(ids) + joinSorted(feats) + strings.Join(forms, "")))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// formString is an extended form's part of the verification string:
// FORM_TYPE, then each field by var with its values, sorted.
func formString(x *etree.Element) string {
	type field struct {
		name   string
		values []string
	}
	formType := ""
	var fields []field
	for _, f := range x.SelectElements("field") {
		var values []string
		for _, v := range f.SelectElements("value") {
			values = append(values, v.Text())
		}
		if name := f.SelectAttrValue("var", ""); name == "FORM_TYPE" {
			formType = joinSorted(values)
		} else {
			fields = append(fields, field{name, values})
		}
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.name, b.name) })
	out := formType
	for _, f := range fields {
		out += f.name + "<" + joinSorted(f.values)
	}
	return out
}

// joinSorted sorts list and ends each of its strings with "<".
func joinSorted(list []string) string {
	slices.Sort(list)
	var b strings.Builder
	for _, s := range list {
		b.WriteString(s)
		b.WriteString("<")
	}
	return b.String()
}
