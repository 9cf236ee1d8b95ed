package chat_test

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/chat"
	"jabberd/store"
	"jabberd/stream"
)

const (
	domain = "example.com"

	aliceBare = "alice@example.com"
	bobBare   = "bob@example.com"
	carolBare = "carol@example.com"
	daveBare  = "dave@example.com"

	aliceL = "alice@example.com/laptop"
	aliceP = "alice@example.com/phone"
	bobD   = "bob@example.com/desk"
	carolC = "carol@example.com/cell"
	daveT  = "dave@example.com/tab"

	// The stanza error children the router sends, as serialized.
	errSvc = `<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
)

// fake is a Session that records what it is given, serialized.
type fake struct {
	jid string

	mu        sync.Mutex
	got       []string
	attempts  int
	replaced  int
	fail      bool
	onReplace func()
}

func newFake(jid string) *fake { return &fake{jid: jid} }

func (f *fake) JID() string { return f.jid }

func (f *fake) Deliver(el *etree.Element) error {
	b := stream.Marshal(el)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.fail {
		return errors.New("connection closed")
	}
	f.got = append(f.got, string(b))
	return nil
}

func (f *fake) Replace() {
	f.mu.Lock()
	f.replaced++
	hook := f.onReplace
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
}

func (f *fake) setFail(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = v
}

func (f *fake) tries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts
}

// take returns what was delivered since the last take, and forgets it.
func (f *fake) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := f.got
	f.got, f.attempts = nil, 0
	return got
}

func (f *fake) replaces() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.replaced
}

func parse(t testing.TB, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	el := doc.Root()
	if el == nil {
		t.Fatalf("parse %s: no root", s)
	}
	// Detached, as a stream reader hands it over.
	doc.RemoveChild(el)
	return el
}

var (
	pushID    = regexp.MustCompile(`id='push-(\d+)-\d+'`)
	delayTime = regexp.MustCompile(`stamp='([^']*)'`)
)

// normalize makes two things comparable that the router leaves open: the
// index in a roster push id (sessions are walked in map order) and the
// time of a delay stamp, which it checks here and replaces by STAMP.
func normalize(t testing.TB, s string) string {
	t.Helper()
	s = pushID.ReplaceAllString(s, "id='push-$1-N'")
	return delayTime.ReplaceAllStringFunc(s, func(m string) string {
		v := delayTime.FindStringSubmatch(m)[1]
		if v == "STAMP" {
			return m
		}
		ts, err := time.Parse(time.RFC3339, v)
		switch {
		case err != nil:
			t.Errorf("delay stamp %q is not RFC 3339: %v", v, err)
		case !strings.HasSuffix(v, "Z"):
			t.Errorf("delay stamp %q is not in UTC", v)
		case time.Since(ts) > time.Minute || time.Until(ts) > time.Second:
			t.Errorf("delay stamp %q is not about now (%s)", v, time.Now().UTC().Format(time.RFC3339))
		}
		return "stamp='STAMP'"
	})
}

// at is stanza as the router hands it to one recipient: addressed to its
// full JID ('to' replaced where the opening tag has one, else added last).
func at(stanza, jid string) string {
	end := strings.IndexByte(stanza, '>')
	if end < 0 {
		return stanza
	}
	open := stanza[:end]
	if i := strings.Index(open, " to='"); i >= 0 {
		j := strings.IndexByte(open[i+5:], '\'')
		return stanza[:i+5] + jid + stanza[i+5+j:]
	}
	if strings.HasSuffix(open, "/") {
		end--
	}
	return stanza[:end] + " to='" + jid + "'" + stanza[end:]
}

// expect checks what f received since the last take, in order.
func expect(t testing.TB, who string, f *fake, want ...string) {
	t.Helper()
	got := f.take()
	for i := range got {
		got[i] = normalize(t, got[i])
	}
	w := make([]string, len(want))
	for i := range want {
		w[i] = normalize(t, want[i])
	}
	if len(got) == 0 && len(w) == 0 {
		return
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("%s received:\n got %d:\n  %s\nwant %d:\n  %s", who, len(got), strings.Join(got, "\n  "), len(w), strings.Join(w, "\n  "))
	}
}

// env is a router over a fresh store in a temporary directory.
type env struct {
	t  testing.TB
	db *store.DB
	r  *chat.Router
}

func openStore(t testing.TB, users ...string) *store.DB {
	t.Helper()
	db, err := store.Open(store.Path(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, u := range users {
		// No password: a certificate-only account, quick to create.
		a, err := accounts.NewAccount(u, "", accounts.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// newEnv has the accounts alice, bob, carol and dave.
func newEnv(t testing.TB, opt chat.Options) *env {
	t.Helper()
	db := openStore(t, "alice", "bob", "carol", "dave")
	return &env{t: t, db: db, r: chat.NewRouter(domain, db, opt, zerolog.Nop())}
}

// bind binds a new session for a full JID.
func (e *env) bind(jid string) *fake {
	f := newFake(jid)
	e.r.Bind(f)
	return f
}

// send routes a stanza from s, as its stream hands it over.
func (e *env) send(s *fake, xml string) {
	e.t.Helper()
	e.r.Route(s, parse(e.t, xml))
}

// online binds a session, sends its initial presence and forgets what it
// received. Sessions bound before it may receive its presence: callers
// take that themselves.
func (e *env) online(jid string, priority ...int) *fake {
	e.t.Helper()
	f := e.bind(jid)
	if len(priority) > 0 {
		e.send(f, fmt.Sprintf(`<presence from='%s'><priority>%d</priority></presence>`, jid, priority[0]))
	} else {
		e.send(f, fmt.Sprintf(`<presence from='%s'/>`, jid))
	}
	f.take()
	return f
}

// rosterGet asks for the roster, so that s gets roster pushes, and forgets
// the answer and whatever s had received before.
func (e *env) rosterGet(s *fake) {
	e.t.Helper()
	s.take()
	e.send(s, `<iq id='rg' type='get'><query xmlns='jabber:iq:roster'/></iq>`)
	if len(s.take()) != 1 {
		e.t.Fatalf("%s: no answer to the roster get", s.jid)
	}
}

// setItem writes a roster item straight to the store.
func (e *env) setItem(owner string, it store.RosterItem) {
	e.t.Helper()
	_, _, _, err := e.db.UpdateRosterItem(owner, it.JID, func(store.RosterItem, bool) (store.RosterItem, bool) { return it, true })
	if err != nil {
		e.t.Fatal(err)
	}
}

// relate makes owner's item for contact have sub, and contact's for
// owner the mirror state, straight in the store.
func (e *env) relate(owner, contact string, sub store.Subscription) {
	e.t.Helper()
	mirror := map[store.Subscription]store.Subscription{
		store.SubNone: store.SubNone, store.SubTo: store.SubFrom,
		store.SubFrom: store.SubTo, store.SubBoth: store.SubBoth,
	}[sub]
	e.setItem(owner, store.RosterItem{JID: contact + "@" + domain, Subscription: sub})
	e.setItem(contact, store.RosterItem{JID: owner + "@" + domain, Subscription: mirror})
}

// item reads owner's roster item for jid from the store.
func (e *env) item(owner, jid string) (store.RosterItem, bool) {
	e.t.Helper()
	it, found, err := e.db.RosterItem(owner, jid)
	if err != nil {
		e.t.Fatal(err)
	}
	return it, found
}

// wantItem checks owner's stored item for jid; a nil want means absent.
func (e *env) wantItem(owner, jid string, want *store.RosterItem) {
	e.t.Helper()
	it, found := e.item(owner, jid)
	switch {
	case want == nil && found:
		e.t.Errorf("%s's roster has %s: %+v; want none", owner, jid, it)
	case want == nil:
	case !found:
		e.t.Errorf("%s's roster has no item %s; want %+v", owner, jid, *want)
	default:
		w := *want
		w.JID = jid
		if it.PendingIn && w.PendingIn && w.PendingInStanza == nil {
			w.PendingInStanza = it.PendingInStanza // checked by the caller if it cares
		}
		if !reflect.DeepEqual(it, w) {
			e.t.Errorf("%s's item %s:\n got %+v\nwant %+v", owner, jid, it, w)
		}
	}
}

func (e *env) version(owner string) uint64 {
	e.t.Helper()
	_, v, err := e.db.Roster(owner)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) offline(owner string) int {
	e.t.Helper()
	n, err := e.db.CountOffline(owner)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestBindLookup(t *testing.T) {
	e := newEnv(t, chat.Options{})
	r := e.r
	if r.Count() != 0 {
		t.Fatalf("Count() = %d on a new router", r.Count())
	}
	a, b, c := e.bind(aliceL), e.bind(aliceP), e.bind(bobD)
	if got := r.Lookup(aliceL); got != a {
		t.Errorf("Lookup(laptop) = %v, want a", got)
	}
	if got := r.Lookup(aliceP); got != b {
		t.Errorf("Lookup(phone) = %v, want b", got)
	}
	if got := r.Lookup("Alice@Example.com/phone"); got != b {
		t.Errorf("Lookup with the bare JID in another case = %v, want b", got)
	}
	for _, jid := range []string{"alice@example.com/Laptop", aliceBare, "alice@example.com/", "carol@example.com/x", ""} {
		if got := r.Lookup(jid); got != nil {
			t.Errorf("Lookup(%q) = %v, want nil", jid, got)
		}
	}
	if n := r.Count(); n != 3 {
		t.Errorf("Count() = %d, want 3", n)
	}
	res := r.Resources(aliceBare)
	if len(res) != 2 || !((res[0] == a && res[1] == b) || (res[0] == b && res[1] == a)) {
		t.Errorf("Resources(alice) = %v", res)
	}
	if res := r.Resources("ALICE@example.com"); len(res) != 2 {
		t.Errorf("Resources(ALICE) has %d sessions, want 2", len(res))
	}
	if res := r.Resources("nobody@example.com"); res == nil || len(res) != 0 {
		t.Errorf("Resources(nobody) = %#v, want empty non-nil", res)
	}
	for _, f := range []*fake{a, b, c} {
		if f.replaces() != 0 {
			t.Errorf("%s replaced %d times", f.jid, f.replaces())
		}
		expect(t, f.jid, f) // binding alone sends nothing
	}
}

func TestBindReplaces(t *testing.T) {
	e := newEnv(t, chat.Options{})
	r := e.r
	old, other := e.bind(aliceL), e.bind(aliceP)
	nw := e.bind(aliceL)
	if old.replaces() != 1 {
		t.Errorf("old Replace called %d times, want 1", old.replaces())
	}
	if nw.replaces() != 0 || other.replaces() != 0 {
		t.Errorf("Replace called on new (%d) or other (%d)", nw.replaces(), other.replaces())
	}
	if got := r.Lookup(aliceL); got != nw {
		t.Errorf("Lookup returns %p, want the new session %p", got, nw)
	}
	if r.Count() != 2 {
		t.Errorf("Count() = %d, want 2", r.Count())
	}

	// The old session's teardown unbinds it: a no-op, the new one stays.
	r.Unbind(old)
	if got := r.Lookup(aliceL); got != nw {
		t.Errorf("after Unbind(old), Lookup = %v, want the new session", got)
	}
	if r.Count() != 2 {
		t.Errorf("after Unbind(old), Count() = %d, want 2", r.Count())
	}
	// Binding the very same session again is not a replacement.
	r.Bind(nw)
	if nw.replaces() != 0 {
		t.Errorf("rebinding the same session called Replace %d times", nw.replaces())
	}
	for _, f := range []*fake{old, nw, other} {
		expect(t, f.jid, f) // none of them was available: no presence
	}
}

func TestReplaceMayCallRouter(t *testing.T) {
	// A real session's Replace closes the stream and unbinds: that must not
	// deadlock with Bind and must not remove the newer session.
	e := newEnv(t, chat.Options{})
	old := newFake(aliceL)
	old.onReplace = func() { e.r.Unbind(old) }
	e.r.Bind(old)
	nw := e.bind(aliceL)
	if got := e.r.Lookup(aliceL); got != nw {
		t.Errorf("Lookup = %v, want the new session", got)
	}
	if old.replaces() != 1 {
		t.Errorf("Replace called %d times", old.replaces())
	}
}

func TestReplacedAvailableSessionBroadcastsUnavailable(t *testing.T) {
	e := newEnv(t, chat.Options{})
	e.relate("alice", "bob", store.SubFrom) // bob sees alice
	e.relate("alice", "carol", store.SubTo) // carol does not
	b, c := e.online(bobD), e.online(carolC)
	old := e.online(aliceL)
	phone := e.online(aliceP)
	old.take()
	b.take()

	nw := e.bind(aliceL)
	if old.replaces() != 1 {
		t.Fatalf("old Replace called %d times", old.replaces())
	}
	const unavail = `<presence from='alice@example.com/laptop' type='unavailable'/>`
	expect(t, "bob (subscribed)", b, `<presence from='alice@example.com/laptop' type='unavailable' to='bob@example.com/desk'/>`)
	expect(t, "alice's phone", phone, at(unavail, aliceP))
	expect(t, "carol (not subscribed)", c)
	expect(t, "the new session", nw)
	expect(t, "the old session", old)

	// The old session's teardown changes nothing, and says nothing twice.
	e.r.Unbind(old)
	expect(t, "bob after Unbind(old)", b)
	expect(t, "phone after Unbind(old)", phone)
	if e.r.Lookup(aliceL) != nw || e.r.Count() != 4 {
		t.Errorf("Unbind of the replaced session changed the table: Count %d", e.r.Count())
	}

	// The new session is not available yet: a message to the bare JID goes
	// to the phone only.
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='m'><body>x</body></message>`)
	expect(t, "phone", phone, `<message from='bob@example.com/desk' to='alice@example.com' id='m'><body>x</body></message>`)
	expect(t, "new laptop", nw)
}

func TestUnbind(t *testing.T) {
	e := newEnv(t, chat.Options{})
	r := e.r
	a, b, c := e.bind(aliceL), e.bind(aliceP), e.bind(bobD)
	r.Unbind(a)
	if r.Lookup(aliceL) != nil {
		t.Error("a still bound")
	}
	if r.Lookup(aliceP) != b || r.Count() != 2 {
		t.Errorf("Unbind(a) disturbed others: Count %d", r.Count())
	}
	r.Unbind(b)
	if r.Count() != 1 {
		t.Errorf("Count() = %d, want 1", r.Count())
	}
	if res := r.Resources(aliceBare); len(res) != 0 {
		t.Errorf("Resources(alice) = %v after unbinding all", res)
	}
	// Unbinding twice, or a session never bound, is harmless.
	r.Unbind(b)
	r.Unbind(newFake("carol@example.com/x"))
	r.Unbind(newFake(bobD)) // same JID, another session
	if r.Lookup(bobD) != c || r.Count() != 1 {
		t.Error("Unbind of a stranger with c's JID removed c")
	}
	r.Unbind(c)
	if r.Count() != 0 {
		t.Errorf("Count() = %d, want 0", r.Count())
	}
	r.Bind(a)
	if r.Lookup(aliceL) != a || r.Count() != 1 {
		t.Error("rebinding after empty failed")
	}
}

func TestUnbindAvailableBroadcastsUnavailable(t *testing.T) {
	e := newEnv(t, chat.Options{})
	e.relate("alice", "bob", store.SubBoth)
	e.relate("alice", "dave", store.SubTo) // alice sees dave; dave does not see alice
	b, c, d := e.online(bobD), e.online(carolC), e.online(daveT)
	a := e.online(aliceL)
	phone := e.online(aliceP)
	// Directed presence to carol, who has no subscription.
	e.send(a, `<presence from='alice@example.com/laptop' to='carol@example.com'/>`)
	expect(t, "carol, directed", c, `<presence from='alice@example.com/laptop' to='carol@example.com/cell'/>`)
	a.take()
	b.take()
	d.take()

	e.r.Unbind(a)
	const unavail = `<presence from='alice@example.com/laptop' type='unavailable'/>`
	expect(t, "bob (both)", b, at(unavail, bobD))
	expect(t, "phone (own resource)", phone, at(unavail, aliceP))
	expect(t, "carol (directed to her bare JID)", c, at(unavail, carolC))
	expect(t, "dave (to only)", d)
	expect(t, "the unbound session", a)

	// An unavailable session's Unbind says nothing.
	idle := e.bind("alice@example.com/idle")
	e.r.Unbind(idle)
	expect(t, "bob after an idle unbind", b)
	expect(t, "phone after an idle unbind", phone)
}

func TestNewRouterDomainCase(t *testing.T) {
	db := openStore(t, "alice")
	r := chat.NewRouter("Example.COM", db, chat.Options{}, zerolog.Nop())
	a := newFake(aliceL)
	r.Bind(a)
	r.Route(a, parse(t, `<iq from='alice@example.com/laptop' to='example.com' id='p' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`))
	expect(t, "a", a, `<iq id='p' type='result' from='example.com' to='alice@example.com/laptop'/>`)
	// Messages to the account are local.
	r.Route(a, parse(t, `<message from='alice@example.com/laptop' to='alice@EXAMPLE.com' id='m'><body>x</body></message>`))
	expect(t, "a (not available)", a)
	if n, _ := db.CountOffline("alice"); n != 1 {
		t.Errorf("%d offline messages, want 1", n)
	}
}
