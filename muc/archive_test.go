package muc

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"jabberd/chat"
	"jabberd/stream"
)

// fakeArchive records what rooms append and which queries they pass on.
type fakeArchive struct {
	mu       sync.Mutex
	appended []string // owner with stanza
	queries  []string // reader owner
	forms    []string
	deleted  []string // owner@number of entries appended before
}

func (a *fakeArchive) Append(owner, with string, stanza []byte) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.appended = append(a.appended, owner+" "+with+" "+string(stanza))
	return uint64(len(a.appended))
}

func (a *fakeArchive) Answer(from chat.Session, el, q *etree.Element, owner string) {
	a.mu.Lock()
	a.queries = append(a.queries, from.JID()+" "+owner)
	a.mu.Unlock()
	res := etree.NewElement("iq")
	res.CreateAttr("type", "result")
	res.CreateAttr("id", el.SelectAttrValue("id", ""))
	res.CreateAttr("to", from.JID())
	_ = from.Deliver(res)
}

func (a *fakeArchive) Form(from chat.Session, el *etree.Element) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.forms = append(a.forms, from.JID())
}

func (a *fakeArchive) Features() []string { return []string{NSMAM, NSMAM + "#extended"} }

func (a *fakeArchive) Delete(owner string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deleted = append(a.deleted, owner+"@"+strconv.Itoa(len(a.appended)))
}

func mamQuery(id string) string {
	return `<iq type='set' id='` + id + `' to='` + room + `'><query xmlns='urn:xmpp:mam:2' queryid='q'/></iq>`
}

func discoFeatures(t *testing.T, s *Service, k *sink, who string) []string {
	t.Helper()
	send(t, s, who, `<iq type='get' id='di' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	var out []string
	for _, el := range k.take(who) {
		for _, f := range el.FindElements("query/feature") {
			out = append(out, f.SelectAttrValue("var", ""))
		}
	}
	return out
}

// TestRoomArchive: a room logged by default says so on join (170) and in
// disco (urn:xmpp:mam:2); a message goes to the archive under the room's
// JID as relayed (from the occupant JID, no to) and every copy carries the
// room's stanza-id (one forged by the sender is dropped); anyone who could
// join may query, an outcast may not; logging turned off is 104 with 171,
// and then nothing is archived, 170 and the feature are gone and a query
// is refused; a temporary room's archive is deleted when it goes away.
func TestRoomArchive(t *testing.T) {
	ar := &fakeArchive{}
	st := &memStore{}
	s, k := newService(t, Options{Archive: ar, LogByDefault: true, Store: st})
	join(t, s, alice, "Alice")
	if g := k.take(alice); len(g) < 1 || strings.Join(codes(g[0]), ",") != "110,170,201" {
		t.Fatalf("the creator's codes: %s", strings.Join(k.all, "\n"))
	}
	if f := discoFeatures(t, s, k, bob); !slices.Contains(f, NSMAM) {
		t.Errorf("disco of a logged room: %v", f)
	}
	join(t, s, bob, "Bob")
	if g := k.take(bob); len(g) < 2 || strings.Join(codes(g[1]), ",") != "110,170" {
		t.Fatalf("bob's codes: %s", strings.Join(k.all, "\n"))
	}
	k.reset()
	send(t, s, alice, `<message to='`+room+`' type='groupchat' id='m1'><body>kept</body><stanza-id xmlns='urn:xmpp:sid:0' by='`+room+`' id='forged'/></message>`)
	if len(ar.appended) != 1 || ar.appended[0] != room+" "+room+"/Alice "+`<message type='groupchat' id='m1' from='`+room+`/Alice'><body>kept</body></message>` {
		t.Fatalf("archived: %q", ar.appended)
	}
	for _, j := range []string{alice, bob} {
		g := k.take(j)
		if len(g) != 1 {
			t.Fatalf("%s: %s", j, strings.Join(k.all, "\n"))
		}
		ids := g[0].SelectElements("stanza-id")
		if len(ids) != 1 || ids[0].SelectAttrValue("by", "") != room || ids[0].SelectAttrValue("id", "") != "1" {
			t.Errorf("%s's copy: %s", j, stream.Marshal(g[0]))
		}
	}
	// Who may query.
	send(t, s, carol, mamQuery("q1"))
	if g := k.take(carol); len(g) != 1 || g[0].SelectAttrValue("type", "") != "result" || !slices.Equal(ar.queries, []string{carol + " " + room}) {
		t.Fatalf("carol (could join) queries: %s %q", strings.Join(k.all, "\n"), ar.queries)
	}
	send(t, s, alice, `<iq type='set' id='b' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='carol@localhost' affiliation='outcast'/></query></iq>`)
	send(t, s, carol, mamQuery("q2"))
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("an outcast queries: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, `<iq type='get' id='f' to='`+room+`'><query xmlns='urn:xmpp:mam:2'/></iq>`)
	if !slices.Equal(ar.forms, []string{bob}) {
		t.Errorf("the form: %q", ar.forms)
	}

	// Logging off.
	k.reset()
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_enablelogging": "0"}))
	if g := k.take(bob); len(g) != 1 || strings.Join(codes(g[0]), ",") != "104,171" {
		t.Fatalf("logging off: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>not kept</body></message>`)
	if len(ar.appended) != 1 {
		t.Errorf("archived with logging off: %q", ar.appended)
	}
	if g := k.take(bob); len(g) != 1 || g[0].SelectElement("stanza-id") != nil {
		t.Errorf("a copy with logging off: %s", strings.Join(k.all, "\n"))
	}
	if f := discoFeatures(t, s, k, bob); slices.Contains(f, NSMAM) {
		t.Errorf("disco with logging off: %v", f)
	}
	send(t, s, bob, mamQuery("q3"))
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "service-unavailable" {
		t.Errorf("a query with logging off: %s", strings.Join(k.all, "\n"))
	}
	s.Gone(bob)
	// Made: an archive left by an old room of that name (a crash) is
	// deleted before the first message.
	if !slices.Equal(ar.deleted, []string{room + "@0"}) {
		t.Fatalf("archive deleted while the room lives: %q", ar.deleted)
	}
	s.Gone(alice)
	if !slices.Equal(ar.deleted, []string{room + "@0", room + "@1"}) {
		t.Errorf("a temporary room gone: deleted %q", ar.deleted)
	}
}

// TestRoomArchiveOff: without an archive, or not logged by default, no 170
// and no logging field; with an archive the form has it.
func TestRoomArchiveOff(t *testing.T) {
	s, k := newService(t, Options{Archive: &fakeArchive{}})
	join(t, s, alice, "Alice")
	if g := k.take(alice); has(codes(g[0]), "170") {
		t.Errorf("170 in a room not logged by default: %v", codes(g[0]))
	}
	send(t, s, alice, `<iq type='get' id='f' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	if g := k.take(alice); g[0].FindElement("query/x/field[@var='muc#roomconfig_enablelogging']") == nil {
		t.Errorf("no logging field with an archive")
	}
	s2, k2 := newService(t, Options{LogByDefault: true})
	join(t, s2, alice, "Alice")
	if g := k2.take(alice); has(codes(g[0]), "170") {
		t.Errorf("170 without an archive: %v", codes(g[0]))
	}
	send(t, s2, alice, `<iq type='get' id='f' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	if g := k2.take(alice); g[0].FindElement("query/x/field[@var='muc#roomconfig_enablelogging']") != nil {
		t.Errorf("a logging field without an archive")
	}
}
