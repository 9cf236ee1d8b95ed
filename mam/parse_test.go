package mam

import (
	"reflect"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/store"
)

func query(t *testing.T, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

// TestParse: a query's form and RSM set become the store's question;
// max is capped at MaxPage and defaults to it; what cannot be read is an
// error with the condition XEP-0313 and XEP-0059 name.
func TestParse(t *testing.T) {
	s := &Service{opt: Options{MaxPage: 50}}
	form := func(fields string) string {
		return "<query xmlns='urn:xmpp:mam:2' queryid='q'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>urn:xmpp:mam:2</value></field>" + fields + "</x>"
	}
	ok := []struct {
		in   string
		want store.ArchiveQuery
		flip bool
	}{
		{"<query xmlns='urn:xmpp:mam:2'/>", store.ArchiveQuery{Max: 50}, false},
		{"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>500</max></set><flip-page/></query>", store.ArchiveQuery{Max: 50}, true},
		{"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before/></set></query>", store.ArchiveQuery{Last: true}, false},
		{"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>17</after></set></query>", store.ArchiveQuery{Max: 50, After: 17}, false},
		{"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><before>not-an-id</before></set></query>", store.ArchiveQuery{Max: 50, Before: ^uint64(0)}, false},
		{form("<field var='with'><value>Bob@Example.com/Phone</value></field><field var='start'><value>2026-12-07T12:00:00.5+01:00</value></field>") + "</query>",
			store.ArchiveQuery{Max: 50, With: "bob@example.com/Phone", Start: time.Date(2026, 12, 7, 11, 0, 0, 5e8, time.UTC)}, false},
		{form("<field var='ids'><value>3</value><value>9</value></field><field var='after-id'><value>x</value></field>") + "</query>",
			store.ArchiveQuery{Max: 50, IDs: []uint64{3, 9}, AfterID: ^uint64(0)}, false},
		{form("<field var='ids'><value>9</value><value>3</value><value>9</value><value>x</value></field>") + "</query>",
			store.ArchiveQuery{Max: 50, IDs: []uint64{3, 9}}, false},
		{form("<field var='ids'><value>x</value></field>") + "</query>", store.ArchiveQuery{Max: 50, IDs: []uint64{}}, false},
		{form("<field var='end'><value>2026-12-07T12:00:00Z</value></field><field var='before-id'><value>42</value></field><field var='after-id'><value>7</value></field>") + "</query>",
			store.ArchiveQuery{Max: 50, End: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC), BeforeID: 42, AfterID: 7}, false},
		{form("<field var='before-id'><value>nope</value></field>") + "</query>", store.ArchiveQuery{Max: 50, BeforeID: ^uint64(0)}, false},
	}
	for _, c := range ok {
		req, e := s.parse(query(t, c.in))
		if e != nil {
			t.Errorf("%s: %v", c.in, e)
			continue
		}
		// Times compare as instants (the parsed one keeps its zone), the
		// rest field by field.
		q, want := req.q, c.want
		times := q.Start.Equal(want.Start) && q.End.Equal(want.End)
		q.Start, q.End, want.Start, want.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !times || !reflect.DeepEqual(q, want) || req.flip != c.flip {
			t.Errorf("%s:\n got %+v flip %v\nwant %+v flip %v", c.in, req.q, req.flip, c.want, c.flip)
		}
	}
	bad := map[string]string{
		form("<field var='colour'><value>red</value></field>") + "</query>":                                                          "bad-request",
		form("<field var='start'><value>yesterday</value></field>") + "</query>":                                                     "bad-request",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set></query>":                      "bad-request",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><index>3</index></set></query>":                   "feature-not-implemented",
		"<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'><after>1</after><before>2</before></set></query>": "bad-request",
	}
	for in, cond := range bad {
		if _, e := s.parse(query(t, in)); e == nil || e.Condition != cond {
			t.Errorf("%s: %v, want %s", in, e, cond)
		}
	}
}
