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
// ver → the client's features. Answers whose hash does not verify (legacy
// caps without a hash among them), and errors, are remembered for the one
// full JID and caps that gave them (jidKey), so that its next presence
// does not ask again.
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
	key                  string // where the answer goes when it does not verify (jidKey)
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

// jidKey is the key of what one full JID's caps mean, when they do not
// verify.
func jidKey(full, key string) string { return "jid " + full + " " + key }

// featuresOf returns the features of the client of an available session,
// false when unknown.
func (c *capsCache) featuresOf(p chat.Presence) (map[string]bool, bool) {
	_, ver, h, ok := capsOf(p.Presence)
	if !ok {
		return nil, false
	}
	key := capsKey(h, ver)
	if f, ok := c.known.Get(key); ok {
		return f, true
	}
	return c.known.Get(jidKey(p.JID(), key))
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
	full := el.SelectAttrValue("from", "")
	if s.caps.known.Contains(key) || s.caps.known.Contains(jidKey(full, key)) {
		return
	}
	if q, ok := s.caps.pending.Get(key); ok && time.Since(q.sent) < askAgain {
		s.caps.mu.Lock()
		if q.jid != full && len(q.waiters) < 100 && !slices.Contains(q.waiters, full) {
			q.waiters = append(q.waiters, full)
		}
		s.caps.mu.Unlock()
		return
	}
	if q, ok := s.caps.pending.Get(jidKey(full, key)); ok && time.Since(q.sent) < askAgain {
		return // asked already, of this session alone
	}
	if sess := s.router.Lookup(full); sess != nil {
		s.ask(sess, key, &query{jid: full, node: node, ver: ver, hash: h})
	}
}

// ask sends sess the disco#info query q, pending under pkey: the caps key
// for a query whose answer may serve every session with these caps, the
// jidKey for one asked of a session alone.
func (s *Service) ask(sess chat.Session, pkey string, q *query) {
	q.key = jidKey(q.jid, capsKey(q.hash, q.ver))
	q.sent = time.Now()
	s.caps.pending.Add(pkey, q)
	iq := etree.NewElement("iq")
	iq.CreateAttr("type", "get")
	iq.CreateAttr("from", s.domain)
	iq.CreateAttr("to", q.jid)
	iq.CreateAttr("id", "caps "+pkey)
	qe := iq.CreateElement("query")
	qe.CreateAttr("xmlns", chat.NSDiscoInfo)
	qe.CreateAttr("node", q.node+"#"+q.ver)
	_ = sess.Deliver(iq)
}

// HandleResult implements chat.ResultHandler: the answer to a caps
// query. Its features are remembered (under the hash when the answer
// verifies, else for the one JID and caps; an error as no features), the
// session gets the last items it is interested in, once, and so do the
// sessions that waited when the answer verifies; when it does not, each
// of them is asked itself.
func (s *Service) HandleResult(from chat.Session, el *etree.Element) bool {
	pkey, ok := strings.CutPrefix(el.SelectAttrValue("id", ""), "caps ")
	if !ok {
		return false
	}
	q, ok := s.caps.pending.Peek(pkey)
	if !ok || q.jid != from.JID() {
		return ok
	}
	s.caps.pending.Remove(pkey)
	s.caps.mu.Lock()
	waiters := q.waiters
	s.caps.mu.Unlock()
	key := capsKey(q.hash, q.ver)
	info := el.SelectElement("query")
	feats := map[string]bool{}
	if el.SelectAttrValue("type", "") != "result" || info == nil || info.NamespaceURI() != chat.NSDiscoInfo {
		s.caps.known.Add(q.key, feats) // not asked again: no notifications for it
		s.askEach(waiters, q)
		return true
	}
	for _, f := range info.SelectElements("feature") {
		feats[f.SelectAttrValue("var", "")] = true
	}
	if verify(q.hash, info) != q.ver {
		s.opt.Log.Info().Str("jid", q.jid).Str("ver", q.ver).Msg("a client's disco#info does not match its caps hash: kept for it alone")
		first := !s.caps.known.Contains(q.key)
		s.caps.known.Add(q.key, feats)
		if first {
			s.sendLast(from, feats)
		}
		s.askEach(waiters, q)
		return true
	}
	s.caps.known.Add(key, feats)
	s.sendLast(from, feats)
	for _, w := range waiters {
		if sess := s.router.Lookup(w); sess != nil {
			s.sendLast(sess, feats)
		}
	}
	return true
}

// askEach asks each of the waiters of q, still online, what its caps
// mean, as the answer of q's session does not tell.
func (s *Service) askEach(waiters []string, q *query) {
	for _, w := range waiters {
		if sess := s.router.Lookup(w); sess != nil {
			s.ask(sess, jidKey(w, capsKey(q.hash, q.ver)), &query{jid: w, node: q.node, ver: q.ver, hash: q.hash})
		}
	}
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
