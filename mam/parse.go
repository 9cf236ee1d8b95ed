package mam

import (
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"jabberd/stanza"
	"jabberd/store"
)

// parse reads a query: its data form (XEP-0313 §4.1), its RSM set
// (XEP-0059) and <flip-page/>. A field this server does not list in its
// form, or a value it cannot read, is a bad-request that names it.
func (s *Service) parse(q *etree.Element) (request, *stanza.Error) {
	req := request{queryID: q.SelectAttrValue("queryid", ""), q: store.ArchiveQuery{Max: s.opt.MaxPage}}
	for _, c := range q.ChildElements() {
		var e *stanza.Error
		switch {
		case c.Tag == "x" && c.NamespaceURI() == NSData:
			e = parseForm(c, &req)
		case c.Tag == "set" && c.NamespaceURI() == NSRSM:
			e = s.parseSet(c, &req)
		case c.Tag == "flip-page" && c.NamespaceURI() == NS:
			req.flip = true
		}
		if e != nil {
			return request{}, e
		}
	}
	return req, nil
}

func bad(text string) *stanza.Error {
	e := errBadRequest.WithText(text)
	return &e
}

// parseForm reads the filters.
func parseForm(x *etree.Element, req *request) *stanza.Error {
	for _, f := range x.SelectElements("field") {
		name := f.SelectAttrValue("var", "")
		var vals []string
		for _, v := range f.SelectElements("value") {
			vals = append(vals, strings.TrimSpace(v.Text()))
		}
		one := ""
		if len(vals) > 0 {
			one = vals[0]
		}
		var ok bool
		switch name {
		case "FORM_TYPE":
			ok = one == NS
		case "with":
			req.q.With, ok = normalJID(one), one != ""
		case "start":
			req.q.Start, ok = parseTime(one)
		case "end":
			req.q.End, ok = parseTime(one)
		case "after-id":
			req.q.AfterID, ok = ParseID(one)
			if !ok && one != "" { // not a number: no message has it
				req.q.AfterID, ok = ^uint64(0), true
			}
		case "before-id":
			req.q.BeforeID, ok = ParseID(one)
			if !ok && one != "" {
				req.q.BeforeID, ok = ^uint64(0), true
			}
		case "ids":
			req.q.IDs, ok = []uint64{}, true
			for _, v := range vals {
				if id, good := ParseID(v); good {
					req.q.IDs = append(req.q.IDs, id)
				}
			}
			// Sorted once, each ID once: the store looks each up.
			slices.Sort(req.q.IDs)
			req.q.IDs = slices.Compact(req.q.IDs)
		default:
			return bad("the archive has no field " + strconv.Quote(name) + " (ask for the form to see the fields)")
		}
		if !ok {
			return bad("the field " + strconv.Quote(name) + " has a value this server cannot read: " + strconv.Quote(one))
		}
	}
	return nil
}

// parseSet reads the paging (XEP-0059): max (capped at MaxPage), after,
// before (empty: the last page). An ID that is not a number is not in the
// archive: item-not-found, like any other unknown ID. index is not
// offered.
func (s *Service) parseSet(set *etree.Element, req *request) *stanza.Error {
	for _, c := range set.ChildElements() {
		v := strings.TrimSpace(c.Text())
		switch c.Tag {
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return bad("RSM max must be a number of 0 or more, not " + strconv.Quote(v))
			}
			req.q.Max = min(n, s.opt.MaxPage)
		case "after":
			req.q.After = idOrMissing(v)
		case "before":
			if v == "" {
				req.q.Last = true
			} else {
				req.q.Before = idOrMissing(v)
			}
		case "index":
			e := stanza.ErrFeatureNotImpl.WithText("RSM index is not supported: page with after and before")
			return &e
		}
	}
	if req.q.After != 0 && (req.q.Before != 0 || req.q.Last) {
		return bad("RSM after and before together are not supported")
	}
	return nil
}

// idOrMissing is an RSM ID; one that cannot be an archive ID becomes one
// that no archive holds (the query then answers item-not-found).
func idOrMissing(v string) uint64 {
	if id, ok := ParseID(v); ok {
		return id
	}
	return ^uint64(0)
}
