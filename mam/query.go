package mam

import (
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stanza"
	"jabberd/store"
)

var errBadRequest = stanza.ErrBadRequest

// request is a parsed query: the store's question, and how to answer.
type request struct {
	q       store.ArchiveQuery
	queryID string
	flip    bool // XEP-0313 §4.1.4: <flip-page/>, the page newest first
}

// Answer runs the query q (the payload of the IQ set el, from the session
// from) over owner's archive, and sends the results then the IQ result
// with <fin/>. The caller has checked that from may read owner's archive.
func (s *Service) Answer(from chat.Session, el, q *etree.Element, owner string) {
	req, e := s.parse(q)
	if e != nil {
		chat.IQError(from, el, owner, *e)
		return
	}
	s.w.flush() // what was routed before the query is in the answer
	page, err := s.opt.Store.QueryArchive(owner, req.q)
	switch {
	case errors.Is(err, store.ErrArchiveItemNotFound):
		chat.IQError(from, el, owner, stanza.ErrItemNotFound.WithText("no message in the archive has that ID"))
		return
	case err != nil:
		s.opt.Log.Error().Err(err).Str("archive", owner).Msg("querying the archive failed")
		chat.IQError(from, el, owner, stanza.ErrInternal)
		return
	}
	entries := page.Entries
	if req.flip {
		entries = slices.Clone(entries)
		slices.Reverse(entries)
	}
	for _, e := range entries {
		if m := s.result(from, owner, req.queryID, e); m != nil {
			_ = from.Deliver(m)
		}
	}
	_ = from.Deliver(fin(el, from, page, entries))
}

// result wraps one archived message (XEP-0313 §4.2); nil if the stored
// stanza is unreadable (logged, skipped).
func (s *Service) result(from chat.Session, owner, queryID string, e store.ArchiveEntry) *etree.Element {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(e.Stanza); err != nil || doc.Root() == nil {
		s.opt.Log.Error().Err(err).Str("archive", owner).Uint64("id", e.ID).Msg("an archived message is unreadable; left out of the answer")
		return nil
	}
	orig := doc.Root()
	if orig.SelectAttr("xmlns") == nil {
		orig.CreateAttr("xmlns", "jabber:client")
	}
	m := etree.NewElement("message")
	m.CreateAttr("from", owner)
	m.CreateAttr("to", from.JID())
	r := m.CreateElement("result")
	r.CreateAttr("xmlns", NS)
	if queryID != "" {
		r.CreateAttr("queryid", queryID)
	}
	r.CreateAttr("id", FormatID(e.ID))
	f := r.CreateElement("forwarded")
	f.CreateAttr("xmlns", chat.NSForward)
	d := f.CreateElement("delay")
	d.CreateAttr("xmlns", chat.NSDelay)
	d.CreateAttr("stamp", e.Stamp().Format("2006-01-02T15:04:05.000000Z"))
	f.AddChild(orig)
	return m
}

// fin is the IQ result that ends an answer: complete, and the RSM set of
// the page as sent (XEP-0059: first, last, count). The optional index of
// first is left out: slixmpp 1.8.3's xep_0059 iterate stops when index +
// page size = count, which going backward is true of the newest page, so
// with an index its reverse paging ends after one page (TestSlixmppMAM).
func fin(el *etree.Element, from chat.Session, page store.ArchivePage, sent []store.ArchiveEntry) *etree.Element {
	res := chat.IQResult(el, from.JID())
	f := res.CreateElement("fin")
	f.CreateAttr("xmlns", NS)
	f.CreateAttr("complete", strconv.FormatBool(page.Complete))
	set := f.CreateElement("set")
	set.CreateAttr("xmlns", NSRSM)
	if len(sent) > 0 {
		set.CreateElement("first").SetText(FormatID(sent[0].ID))
		set.CreateElement("last").SetText(FormatID(sent[len(sent)-1].ID))
	}
	set.CreateElement("count").SetText(strconv.Itoa(page.Count))
	return res
}

// Form answers a get of the query form (XEP-0313 §4.1.5): the fields
// parse understands. Rooms ask it for their archives too.
func (s *Service) Form(from chat.Session, el *etree.Element) {
	res := chat.IQResult(el, from.JID())
	q := res.CreateElement("query")
	q.CreateAttr("xmlns", NS)
	x := q.CreateElement("x")
	x.CreateAttr("xmlns", NSData)
	x.CreateAttr("type", "form")
	field(x, "FORM_TYPE", "hidden").CreateElement("value").SetText(NS)
	field(x, "with", "jid-single")
	field(x, "start", "text-single")
	field(x, "end", "text-single")
	field(x, "after-id", "text-single")
	field(x, "before-id", "text-single")
	field(x, "ids", "text-multi")
	_ = from.Deliver(res)
}

func field(x *etree.Element, name, typ string) *etree.Element {
	f := x.CreateElement("field")
	f.CreateAttr("var", name)
	f.CreateAttr("type", typ)
	return f
}

// since is the lower bound of the times a form may give: before it
// nothing is archived, and it keeps a time's microseconds positive.
var since = time.Unix(0, 0)

// parseTime reads an XEP-0082 DateTime.
func parseTime(v string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	if t.Before(since) {
		t = since
	}
	return t, true
}
