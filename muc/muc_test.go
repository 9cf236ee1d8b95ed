package muc

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/stream"
)

// sink records what the service delivers, per recipient.
type sink struct {
	mu  sync.Mutex
	got map[string][]*etree.Element
	all []string
}

func (k *sink) DeliverTo(to string, el *etree.Element) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.got == nil {
		k.got = map[string][]*etree.Element{}
	}
	k.got[to] = append(k.got[to], el)
	k.all = append(k.all, to+" <- "+string(stream.Marshal(el)))
	return true
}

// take returns and forgets what to received.
func (k *sink) take(to string) []*etree.Element {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := k.got[to]
	delete(k.got, to)
	return out
}

func (k *sink) reset() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got = nil
	k.all = nil
}

const (
	alice = "alice@localhost/a"
	bob   = "bob@localhost/b"
	carol = "carol@localhost/c"
	room  = "team@conference.localhost"
)

func newService(t *testing.T, opt Options) (*Service, *sink) {
	t.Helper()
	if opt.Domain == "" {
		opt.Domain = "conference.localhost"
	}
	opt.Log = zerolog.Nop()
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC) }
	}
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	k := &sink{}
	s.Attach(k)
	return s, k
}

func parse(t *testing.T, from, x string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(x); err != nil {
		t.Fatalf("parse %q: %v", x, err)
	}
	el := doc.Root()
	el.CreateAttr("from", from)
	return el
}

func send(t *testing.T, s *Service, from, x string) {
	t.Helper()
	s.Handle(from, parse(t, from, x))
}

func join(t *testing.T, s *Service, from, nick string) {
	t.Helper()
	send(t, s, from, `<presence to='`+room+`/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
}

func codes(el *etree.Element) []string {
	var out []string
	for _, x := range el.SelectElements("x") {
		for _, st := range x.SelectElements("status") {
			out = append(out, st.SelectAttrValue("code", ""))
		}
	}
	return out
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func item(el *etree.Element) *etree.Element {
	for _, x := range el.SelectElements("x") {
		if x.NamespaceURI() == NSUser {
			return x.SelectElement("item")
		}
	}
	return nil
}

func errCond(el *etree.Element) string {
	e := el.SelectElement("error")
	if e == nil {
		return ""
	}
	for _, c := range e.ChildElements() {
		if c.Tag != "text" {
			return c.Tag
		}
	}
	return ""
}

func TestCreateJoinAndStatusCodes(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	got := k.take(alice)
	if len(got) != 2 {
		t.Fatalf("creator got %d stanzas, want self-presence and subject:\n%s", len(got), strings.Join(k.all, "\n"))
	}
	if c := codes(got[0]); !has(c, "110") || !has(c, "201") {
		t.Errorf("creator's self-presence codes %v, want 110 and 201", c)
	}
	if it := item(got[0]); it.SelectAttrValue("affiliation", "") != Owner || it.SelectAttrValue("role", "") != Moderator {
		t.Errorf("creator item %v", it.Attr)
	}
	if got[1].Tag != "message" || got[1].SelectElement("subject") == nil {
		t.Errorf("second stanza is not the subject: %s", stream.Marshal(got[1]))
	}

	join(t, s, bob, "Bob")
	gotBob := k.take(bob)
	if len(gotBob) != 3 {
		t.Fatalf("bob got %d stanzas, want alice's presence, his own, subject", len(gotBob))
	}
	if gotBob[0].SelectAttrValue("from", "") != room+"/Alice" {
		t.Errorf("first to bob: %s", stream.Marshal(gotBob[0]))
	}
	if c := codes(gotBob[1]); !has(c, "110") || has(c, "201") {
		t.Errorf("bob's self codes %v", c)
	}
	// Semi-anonymous: bob (participant) does not see alice's real JID,
	// alice (moderator) sees bob's.
	if item(gotBob[0]).SelectAttr("jid") != nil {
		t.Errorf("a participant saw a real JID in a semi-anonymous room")
	}
	ga := k.take(alice)
	if len(ga) != 1 || item(ga[0]).SelectAttrValue("jid", "") != bob {
		t.Errorf("alice (moderator) should get bob's presence with his JID: %d", len(ga))
	}

	// Nick conflict: 409.
	join(t, s, carol, "Bob")
	gc := k.take(carol)
	if len(gc) != 1 || errCond(gc[0]) != "conflict" || gc[0].SelectElement("error").SelectAttrValue("code", "") != "409" {
		t.Fatalf("conflict: %s", strings.Join(k.all, "\n"))
	}
	// A nick with spaces around it is trimmed: 210.
	join(t, s, carol, " Carol ")
	gc = k.take(carol)
	if len(gc) != 4 || !has(codes(gc[2]), "210") {
		t.Fatalf("carol: %s", strings.Join(k.all, "\n"))
	}
}

func TestMessagesSubjectPrivateLeave(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	join(t, s, bob, "Bob")
	k.reset()
	send(t, s, bob, `<message to='`+room+`' type='groupchat' id='m1'><body>hi all</body></message>`)
	for _, who := range []string{alice, bob} {
		g := k.take(who)
		if len(g) != 1 || g[0].SelectAttrValue("from", "") != room+"/Bob" || g[0].SelectElement("body").Text() != "hi all" || g[0].SelectAttrValue("id", "") != "m1" {
			t.Fatalf("%s: %s", who, strings.Join(k.all, "\n"))
		}
	}
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><subject>Plans</subject></message>`)
	if g := k.take(bob); len(g) != 1 || g[0].SelectElement("subject").Text() != "Plans" {
		t.Fatalf("subject: %s", strings.Join(k.all, "\n"))
	}
	k.reset()
	// Private message, from the sender's occupant JID.
	send(t, s, alice, `<message to='`+room+`/Bob' type='chat'><body>psst</body></message>`)
	g := k.take(bob)
	if len(g) != 1 || g[0].SelectAttrValue("from", "") != room+"/Alice" || g[0].SelectAttrValue("to", "") != bob {
		t.Fatalf("private: %s", strings.Join(k.all, "\n"))
	}
	if len(k.take(alice)) != 0 {
		t.Errorf("the sender got her own private message")
	}
	// A stranger may not talk to the room.
	send(t, s, carol, `<message to='`+room+`' type='groupchat'><body>x</body></message>`)
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "not-acceptable" {
		t.Fatalf("stranger: %s", strings.Join(k.all, "\n"))
	}
	// History on join: the message and the subject come with a delay.
	join(t, s, carol, "Carol")
	g = k.take(carol)
	var bodies []string
	for _, el := range g {
		if b := el.SelectElement("body"); b != nil {
			bodies = append(bodies, b.Text())
			if el.SelectElement("delay") == nil {
				t.Errorf("history without delay")
			}
		}
	}
	if len(bodies) != 1 || bodies[0] != "hi all" {
		t.Errorf("history %v", bodies)
	}
	if last := g[len(g)-1]; last.SelectElement("subject").Text() != "Plans" || last.SelectAttrValue("from", "") != room+"/Alice" {
		t.Errorf("subject on join: %s", stream.Marshal(last))
	}
	k.reset()
	// Leaving: everyone sees unavailable, the leaver with 110.
	send(t, s, bob, `<presence to='`+room+`/Bob' type='unavailable'/>`)
	g = k.take(bob)
	if len(g) != 1 || g[0].SelectAttrValue("type", "") != "unavailable" || !has(codes(g[0]), "110") {
		t.Fatalf("leave: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(alice); len(g) != 1 || g[0].SelectAttrValue("type", "") != "unavailable" {
		t.Fatalf("leave seen by alice")
	}
	// The session going away leaves too; the last one out ends a
	// temporary room.
	s.Gone(alice)
	s.Gone(carol)
	if s.RoomCount() != 0 {
		t.Errorf("an empty temporary room stayed")
	}
}

func TestHistoryBounds(t *testing.T) {
	s, k := newService(t, Options{MaxHistory: 3, MaxMessageBytes: 10})
	join(t, s, alice, "Alice")
	for _, b := range []string{"1", "2", "3", "4", "5"} {
		send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>`+b+`</body></message>`)
	}
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><body>far too long for it</body></message>`)
	g := k.take(alice)
	if last := g[len(g)-1]; errCond(last) != "policy-violation" {
		t.Errorf("a long body: %s", stream.Marshal(last))
	}
	join(t, s, bob, "Bob")
	var bodies []string
	for _, el := range k.take(bob) {
		if b := el.SelectElement("body"); b != nil {
			bodies = append(bodies, b.Text())
		}
	}
	if strings.Join(bodies, ",") != "3,4,5" {
		t.Errorf("history %v, want the last 3", bodies)
	}
	send(t, s, carol, `<presence to='`+room+`/Carol'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='1'/></x></presence>`)
	bodies = nil
	for _, el := range k.take(carol) {
		if b := el.SelectElement("body"); b != nil {
			bodies = append(bodies, b.Text())
		}
	}
	if strings.Join(bodies, ",") != "5" {
		t.Errorf("maxstanzas=1: %v", bodies)
	}
}

func TestBounds(t *testing.T) {
	s, k := newService(t, Options{MaxRoomsPerUser: 1, MaxOccupants: 2})
	join(t, s, alice, "A")
	send(t, s, alice, `<presence to='other@conference.localhost/A'/>`)
	if g := k.take(alice); errCond(g[len(g)-1]) != "not-allowed" {
		t.Errorf("second room: %s", stream.Marshal(g[len(g)-1]))
	}
	join(t, s, bob, "B")
	join(t, s, carol, "C")
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "service-unavailable" {
		t.Errorf("full room: %s", strings.Join(k.all, "\n"))
	}
}

func TestKickBanRoles(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	join(t, s, bob, "Bob")
	join(t, s, carol, "Carol")
	k.reset()
	// A participant may not kick.
	send(t, s, bob, `<iq type='set' id='k0' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'/></query></iq>`)
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("participant kick: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, `<iq type='set' id='k1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='none'><reason>spam</reason></item></query></iq>`)
	gb := k.take(bob)
	if len(gb) != 1 || gb[0].SelectAttrValue("type", "") != "unavailable" || !has(codes(gb[0]), "307") || !has(codes(gb[0]), "110") {
		t.Fatalf("kicked: %s", strings.Join(k.all, "\n"))
	}
	if it := item(gb[0]); it.SelectElement("reason").Text() != "spam" || it.SelectElement("actor").SelectAttrValue("nick", "") != "Alice" {
		t.Errorf("kick item: %s", stream.Marshal(gb[0]))
	}
	gc := k.take(carol)
	if len(gc) != 1 || !has(codes(gc[0]), "307") {
		t.Errorf("carol saw: %d", len(gc))
	}
	ga := k.take(alice)
	if len(ga) != 2 || ga[1].SelectAttrValue("type", "") != "result" {
		t.Errorf("alice: %s", strings.Join(k.all, "\n"))
	}
	// Kicked is not banned: bob comes back, then is banned (301) and
	// cannot return (403).
	join(t, s, bob, "Bob")
	k.reset()
	send(t, s, alice, `<iq type='set' id='b1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='outcast'/></query></iq>`)
	if gb := k.take(bob); len(gb) != 1 || !has(codes(gb[0]), "301") || item(gb[0]).SelectAttrValue("affiliation", "") != Outcast {
		t.Fatalf("banned: %s", strings.Join(k.all, "\n"))
	}
	join(t, s, bob, "Bob")
	if gb := k.take(bob); len(gb) != 1 || errCond(gb[0]) != "forbidden" {
		t.Fatalf("banned rejoin: %s", strings.Join(k.all, "\n"))
	}
	// The owner can't be kicked by a moderator who is only an admin of
	// lower rank; carol made admin, then tries to kick alice.
	send(t, s, alice, `<iq type='set' id='a1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='carol@localhost' affiliation='admin'/></query></iq>`)
	k.reset()
	send(t, s, carol, `<iq type='set' id='k2' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Alice' role='none'/></query></iq>`)
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "not-allowed" {
		t.Fatalf("admin kicks owner: %s", strings.Join(k.all, "\n"))
	}
	// The outcast list.
	send(t, s, alice, `<iq type='get' id='l1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='outcast'/></query></iq>`)
	g := k.take(alice)
	if len(g) != 1 || g[0].FindElement("query/item[@jid='bob@localhost']") == nil {
		t.Fatalf("outcast list: %s", strings.Join(k.all, "\n"))
	}
}

func submit(fields map[string]string) string {
	var b strings.Builder
	b.WriteString(`<iq type='set' id='c1' to='` + room + `'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>`)
	for k, v := range fields {
		b.WriteString(`<field var='` + k + `'><value>` + v + `</value></field>`)
	}
	b.WriteString(`</x></query></iq>`)
	return b.String()
}

func TestConfigurationForm(t *testing.T) {
	st := &memStore{}
	s, k := newService(t, Options{Store: st})
	join(t, s, alice, "Alice")
	k.reset()
	send(t, s, alice, `<iq type='get' id='f1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	g := k.take(alice)
	if len(g) != 1 || g[0].FindElement("query/x/field[@var='muc#roomconfig_membersonly']") == nil {
		t.Fatalf("form: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, `<iq type='get' id='f2' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'/></iq>`)
	if g := k.take(bob); errCond(g[0]) != "forbidden" {
		t.Errorf("a stranger got the form")
	}
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_passwordprotectedroom": "1"}))
	if g := k.take(alice); errCond(g[0]) != "bad-request" {
		t.Errorf("password-protected without a password accepted")
	}
	send(t, s, alice, submit(map[string]string{
		"muc#roomconfig_persistentroom": "1", "muc#roomconfig_passwordprotectedroom": "1", "muc#roomconfig_roomsecret": "s3cret",
		"muc#roomconfig_whois": "anyone", "muc#roomconfig_publicroom": "0", "muc#roomconfig_roomname": "The team",
	}))
	g = k.take(alice)
	if len(g) != 2 || !has(codes(g[0]), "104") || g[1].SelectAttrValue("type", "") != "result" {
		t.Fatalf("submit: %s", strings.Join(k.all, "\n"))
	}
	join(t, s, bob, "Bob")
	if g := k.take(bob); errCond(g[0]) != "not-authorized" {
		t.Errorf("no password: %s", stream.Marshal(g[0]))
	}
	send(t, s, bob, `<presence to='`+room+`/Bob'><x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password></x></presence>`)
	g = k.take(bob)
	self := g[1]
	if !has(codes(self), "100") || !has(codes(self), "110") {
		t.Errorf("non-anonymous join codes %v", codes(self))
	}
	if item(g[0]).SelectAttrValue("jid", "") != alice {
		t.Errorf("non-anonymous: bob does not see alice's JID")
	}
	// Hidden: not in the service's items.
	send(t, s, carol, `<iq type='get' id='d1' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	if g := k.take(carol); len(g[0].FindElements("query/item")) != 0 {
		t.Errorf("a hidden room is listed")
	}
	send(t, s, carol, `<iq type='get' id='d2' to='`+room+`'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	g = k.take(carol)
	for _, f := range []string{"muc_persistent", "muc_hidden", "muc_passwordprotected", "muc_nonanonymous", NS} {
		if g[0].FindElement("query/feature[@var='"+f+"']") == nil {
			t.Errorf("room disco#info lacks %s", f)
		}
	}
	// Members-only: carol (none) is removed with 322 when the room
	// becomes members-only, bob (a member) stays until his membership is
	// taken (321); carol is refused with 407.
	send(t, s, carol, `<presence to='`+room+`/Carol'><x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password></x></presence>`)
	send(t, s, alice, `<iq type='set' id='m1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='member'/></query></iq>`)
	k.reset()
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_membersonly": "1"}))
	if g := k.take(carol); len(g) != 2 || !has(codes(g[0]), "104") || g[1].SelectAttrValue("type", "") != "unavailable" || !has(codes(g[1]), "322") || !has(codes(g[1]), "110") {
		t.Errorf("a non-member when the room became members-only: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(bob); len(g) != 2 || !has(codes(g[1]), "322") || g[1].SelectAttrValue("from", "") != room+"/Carol" {
		t.Errorf("bob sees carol removed: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, `<iq type='set' id='n1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='none'/></query></iq>`)
	if g := k.take(bob); len(g) == 0 || !has(codes(g[len(g)-1]), "321") {
		t.Errorf("members-only removal: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, `<presence to='`+room+`/C'><x xmlns='http://jabber.org/protocol/muc'><password>s3cret</password></x></presence>`)
	if g := k.take(carol); errCond(g[0]) != "registration-required" {
		t.Errorf("members-only join: %s", stream.Marshal(g[0]))
	}

	// Persistent: the room outlives its occupants and a restart.
	send(t, s, alice, `<message to='`+room+`' type='groupchat'><subject>Kept</subject></message>`)
	s.Gone(alice)
	if s.RoomCount() != 1 {
		t.Fatalf("a persistent room went away when empty")
	}
	s2, k2 := newService(t, Options{Store: st})
	if s2.RoomCount() != 1 {
		t.Fatalf("restart: %d rooms", s2.RoomCount())
	}
	send(t, s2, alice, `<presence to='`+room+`/Alice'/>`)
	g = k2.take(alice)
	if len(g) != 2 || item(g[0]).SelectAttrValue("affiliation", "") != Owner || has(codes(g[0]), "201") {
		t.Fatalf("owner after restart: %s", strings.Join(k2.all, "\n"))
	}
	if g[1].SelectElement("subject").Text() != "Kept" {
		t.Errorf("subject after restart: %s", stream.Marshal(g[1]))
	}
	// Destroy removes it from the store.
	send(t, s2, alice, `<iq type='set' id='x1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>`)
	if recs, _ := st.Rooms("conference.localhost"); len(recs) != 0 {
		t.Errorf("destroyed room still stored")
	}
}

func TestModeratedAndNickChange(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_moderatedroom": "1"}))
	join(t, s, bob, "Bob")
	k.reset()
	send(t, s, bob, `<message to='`+room+`' type='groupchat'><body>may I?</body></message>`)
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("visitor spoke: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, `<iq type='set' id='v1' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Bob' role='participant'/></query></iq>`)
	k.reset()
	send(t, s, bob, `<message to='`+room+`' type='groupchat'><body>thanks</body></message>`)
	if g := k.take(alice); len(g) != 1 || g[0].SelectElement("body") == nil {
		t.Fatalf("voiced: %s", strings.Join(k.all, "\n"))
	}
	k.reset()
	send(t, s, bob, `<presence to='`+room+`/Robert'/>`)
	g := k.take(alice)
	if len(g) != 2 || !has(codes(g[0]), "303") || item(g[0]).SelectAttrValue("nick", "") != "Robert" || g[1].SelectAttrValue("from", "") != room+"/Robert" {
		t.Fatalf("nick change: %s", strings.Join(k.all, "\n"))
	}
	// Self-ping (XEP-0410).
	k.reset()
	send(t, s, bob, `<iq type='get' id='p1' to='`+room+`/Robert'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if g := k.take(bob); g[0].SelectAttrValue("type", "") != "result" {
		t.Errorf("self-ping as joined")
	}
	send(t, s, bob, `<iq type='get' id='p2' to='`+room+`/Bob'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if g := k.take(bob); errCond(g[0]) != "not-acceptable" {
		t.Errorf("self-ping under the old nick")
	}
}

func TestInvitationPassedOn(t *testing.T) {
	s, k := newService(t, Options{})
	join(t, s, alice, "Alice")
	k.reset()
	send(t, s, alice, `<message to='`+room+`'><x xmlns='http://jabber.org/protocol/muc#user'><invite to='carol@localhost'><reason>come</reason></invite></x></message>`)
	g := k.take("carol@localhost")
	if len(g) != 1 || g[0].FindElement("x/invite[@from='alice@localhost']/reason") == nil {
		t.Fatalf("invite: %s", strings.Join(k.all, "\n"))
	}
}
