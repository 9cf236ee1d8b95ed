package session_test

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"jabberd/session"
	"jabberd/stream"
)

const domain = "example.com"

// fake is a Session that records what it is given.
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

func (f *fake) delivered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func (f *fake) replaces() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.replaced
}

func (f *fake) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got, f.attempts = nil, 0
}

func parse(t *testing.T, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	el := doc.Root()
	if el == nil {
		t.Fatalf("parse %s: no root", s)
	}
	// Detach so that the element is what a stream reader would hand over.
	doc.RemoveChild(el)
	return el
}

func wantGot(t *testing.T, who string, f *fake, want ...string) {
	t.Helper()
	got := f.delivered()
	if len(want) == 0 {
		want = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s received:\n got %q\nwant %q", who, got, want)
	}
}

func TestBindLookup(t *testing.T) {
	r := session.NewRouter(domain)
	if r.Count() != 0 {
		t.Fatalf("Count() = %d on a new router", r.Count())
	}
	a := newFake("alice@example.com/laptop")
	b := newFake("alice@example.com/phone")
	c := newFake("bob@example.com/desk")
	r.Bind(a)
	r.Bind(b)
	r.Bind(c)
	if got := r.Lookup("alice@example.com/laptop"); got != a {
		t.Errorf("Lookup(laptop) = %v, want a", got)
	}
	if got := r.Lookup("alice@example.com/phone"); got != b {
		t.Errorf("Lookup(phone) = %v, want b", got)
	}
	if got := r.Lookup("Alice@Example.com/phone"); got != b {
		t.Errorf("Lookup with bare JID in other case = %v, want b", got)
	}
	for _, jid := range []string{"alice@example.com/Laptop", "alice@example.com", "alice@example.com/", "carol@example.com/x", ""} {
		if got := r.Lookup(jid); got != nil {
			t.Errorf("Lookup(%q) = %v, want nil", jid, got)
		}
	}
	if n := r.Count(); n != 3 {
		t.Errorf("Count() = %d, want 3", n)
	}
	res := r.Resources("alice@example.com")
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
	}
}

func TestBindReplaces(t *testing.T) {
	r := session.NewRouter(domain)
	old := newFake("alice@example.com/laptop")
	other := newFake("alice@example.com/phone")
	r.Bind(old)
	r.Bind(other)
	nw := newFake("alice@example.com/laptop")
	r.Bind(nw)
	if old.replaces() != 1 {
		t.Errorf("old Replace called %d times, want 1", old.replaces())
	}
	if nw.replaces() != 0 || other.replaces() != 0 {
		t.Errorf("Replace called on new (%d) or other (%d)", nw.replaces(), other.replaces())
	}
	if got := r.Lookup("alice@example.com/laptop"); got != nw {
		t.Errorf("Lookup returns %p, want the new session %p", got, nw)
	}
	if r.Count() != 2 {
		t.Errorf("Count() = %d, want 2", r.Count())
	}

	// The old session's teardown unbinds it: the new one stays.
	r.Unbind(old)
	if got := r.Lookup("alice@example.com/laptop"); got != nw {
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
}

func TestReplaceMayCallRouter(t *testing.T) {
	// A real session's Replace closes the stream and unbinds: it must not
	// deadlock with Bind and must not remove the newer session.
	r := session.NewRouter(domain)
	old := newFake("alice@example.com/laptop")
	old.onReplace = func() { r.Unbind(old) }
	r.Bind(old)
	nw := newFake("alice@example.com/laptop")
	r.Bind(nw)
	if got := r.Lookup("alice@example.com/laptop"); got != nw {
		t.Errorf("Lookup = %v, want the new session", got)
	}
	if old.replaces() != 1 {
		t.Errorf("Replace called %d times", old.replaces())
	}
}

func TestUnbind(t *testing.T) {
	r := session.NewRouter(domain)
	a := newFake("alice@example.com/laptop")
	b := newFake("alice@example.com/phone")
	c := newFake("bob@example.com/desk")
	r.Bind(a)
	r.Bind(b)
	r.Bind(c)
	r.Unbind(a)
	if r.Lookup("alice@example.com/laptop") != nil {
		t.Error("a still bound")
	}
	if r.Lookup("alice@example.com/phone") != b || r.Count() != 2 {
		t.Errorf("Unbind(a) disturbed others: Count %d", r.Count())
	}
	r.Unbind(b)
	if r.Count() != 1 {
		t.Errorf("Count() = %d, want 1", r.Count())
	}
	if res := r.Resources("alice@example.com"); len(res) != 0 {
		t.Errorf("Resources(alice) = %v after unbinding all", res)
	}
	// Unbinding twice, or a session never bound, is harmless.
	r.Unbind(b)
	r.Unbind(newFake("carol@example.com/x"))
	r.Unbind(newFake("bob@example.com/desk")) // same JID, other session
	if r.Lookup("bob@example.com/desk") != c || r.Count() != 1 {
		t.Error("Unbind of a stranger with c's JID removed c")
	}
	r.Unbind(c)
	if r.Count() != 0 {
		t.Errorf("Count() = %d, want 0", r.Count())
	}
	// Rebinding after everything went away works.
	r.Bind(a)
	if r.Lookup("alice@example.com/laptop") != a || r.Count() != 1 {
		t.Error("rebinding after empty failed")
	}
}

// world is a router with alice (two resources) and bob (one).
type world struct {
	r          *session.Router
	a1, a2, b1 *fake
}

func newWorld() *world {
	w := &world{
		r:  session.NewRouter(domain),
		a1: newFake("alice@example.com/laptop"),
		a2: newFake("alice@example.com/phone"),
		b1: newFake("bob@example.com/desk"),
	}
	w.r.Bind(w.a1)
	w.r.Bind(w.a2)
	w.r.Bind(w.b1)
	return w
}

func TestRouteMessageToFullJID(t *testing.T) {
	w := newWorld()
	in := `<message from='bob@example.com/desk' to='alice@example.com/phone' id='m1' type='chat'><body>hi &amp; &lt;bye&gt;</body></message>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a2", w.a2, in)
	wantGot(t, "a1", w.a1)
	wantGot(t, "b1 (sender)", w.b1)
}

func TestRouteMessageToUnboundResource(t *testing.T) {
	w := newWorld()
	in := `<message from='bob@example.com/desk' to='alice@example.com/tablet' id='m2' type='chat'><body>x</body></message>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1, in)
	wantGot(t, "a2", w.a2, in)
	wantGot(t, "b1 (sender)", w.b1)
}

func TestRouteMessageToBareJID(t *testing.T) {
	w := newWorld()
	in := `<message from='bob@example.com/desk' to='alice@example.com' id='m3'><body>x</body></message>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1, in)
	wantGot(t, "a2", w.a2, in)
	wantGot(t, "b1 (sender)", w.b1)

	// Case of the bare JID does not matter.
	w = newWorld()
	in = `<message from='bob@example.com/desk' to='Alice@EXAMPLE.com' id='m4'><body>x</body></message>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1, in)
	wantGot(t, "a2", w.a2, in)
}

func TestRouteMessageToUnknownUser(t *testing.T) {
	w := newWorld()
	in := `<message from='alice@example.com/laptop' to='nobody@example.com' id='m5' type='chat'><body>anyone?</body></message>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "a1 (sender)", w.a1,
		`<message id='m5' type='error' from='nobody@example.com' to='alice@example.com/laptop'><body>anyone?</body>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1", w.b1)

	// Unknown full JID of an unknown user: same.
	w = newWorld()
	in = `<message from='alice@example.com/laptop' to='nobody@example.com/res'><body>x</body></message>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "a1 (sender), no id", w.a1,
		`<message type='error' from='nobody@example.com/res' to='alice@example.com/laptop'><body>x</body>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)
}

func TestRouteToAnotherDomain(t *testing.T) {
	w := newWorld()
	in := `<message from='alice@example.com/laptop' to='carol@other.org' id='m6' type='chat'><body>hello</body></message>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "a1 (sender)", w.a1,
		`<message id='m6' type='error' from='carol@other.org' to='alice@example.com/laptop'><body>hello</body>`+
			`<error code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
			`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>this server does not federate; other.org is not reachable</text></error></message>`)
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1", w.b1)

	// An iq to another server's domain.
	w = newWorld()
	in = `<iq from='alice@example.com/laptop' to='other.org' id='i1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "a1 (sender), iq", w.a1,
		`<iq id='i1' type='error' from='other.org' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>`+
			`<error code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
			`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>this server does not federate; other.org is not reachable</text></error></iq>`)

	// A subdomain of ours is another domain.
	w = newWorld()
	in = `<message from='alice@example.com/laptop' to='muc.example.com' id='m7'/>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "a1 (sender), subdomain", w.a1,
		`<message id='m7' type='error' from='muc.example.com' to='alice@example.com/laptop'>`+
			`<error code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
			`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>this server does not federate; muc.example.com is not reachable</text></error></message>`)
}

func TestErrorsAreNeverBounced(t *testing.T) {
	for _, in := range []string{
		`<message from='alice@example.com/laptop' to='nobody@example.com' id='e1' type='error'><error type='cancel'/></message>`,
		`<message from='alice@example.com/laptop' to='carol@other.org' id='e2' type='error'><error type='cancel'/></message>`,
		`<iq from='alice@example.com/laptop' to='bob@example.com/gone' id='e3' type='error'><error type='cancel'/></iq>`,
		`<iq from='alice@example.com/laptop' to='example.com' id='e4' type='error'><error type='cancel'/></iq>`,
		`<presence from='alice@example.com/laptop' to='carol@other.org' type='error'/>`,
	} {
		w := newWorld()
		w.r.Route(w.a1, parse(t, in))
		wantGot(t, "a1 (sender) for "+in, w.a1)
		wantGot(t, "a2 for "+in, w.a2)
		wantGot(t, "b1 for "+in, w.b1)
	}
}

func TestRouteIQToUnboundFullJID(t *testing.T) {
	w := newWorld()
	in := `<iq from='bob@example.com/desk' to='alice@example.com/tablet' id='i2' type='get'><query xmlns='jabber:iq:version'/></iq>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1)
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1 (sender)", w.b1,
		`<iq id='i2' type='error' from='alice@example.com/tablet' to='bob@example.com/desk'><query xmlns='jabber:iq:version'/>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)

	// An iq to a bound full JID is delivered to that one only.
	w = newWorld()
	in = `<iq from='bob@example.com/desk' to='alice@example.com/laptop' id='i3' type='get'><query xmlns='jabber:iq:version'/></iq>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1, in)
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1 (sender)", w.b1)
}

func TestRouteIQToOtherUsersBareJID(t *testing.T) {
	// The server answers for the account; IQs are never fanned out.
	w := newWorld()
	in := `<iq from='bob@example.com/desk' to='alice@example.com' id='i4' type='get'><query xmlns='jabber:iq:version'/></iq>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a1", w.a1)
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1 (sender)", w.b1,
		`<iq id='i4' type='error' from='alice@example.com' to='bob@example.com/desk'><query xmlns='jabber:iq:version'/>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

func TestPing(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"to the domain",
			`<iq from='alice@example.com/laptop' to='example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' id='p1' from='example.com' to='alice@example.com/laptop'/>`},
		{"no to",
			`<iq from='alice@example.com/laptop' id='p2' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' id='p2' from='example.com' to='alice@example.com/laptop'/>`},
		{"own bare JID",
			`<iq from='alice@example.com/laptop' to='alice@example.com' id='p3' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' id='p3' from='alice@example.com' to='alice@example.com/laptop'/>`},
		{"domain in other case",
			`<iq from='alice@example.com/laptop' to='EXAMPLE.COM' id='p4' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' id='p4' from='EXAMPLE.COM' to='alice@example.com/laptop'/>`},
		{"prefixed ping",
			`<iq from='alice@example.com/laptop' to='example.com' id='p5' type='get'><p:ping xmlns:p='urn:xmpp:ping'/></iq>`,
			`<iq type='result' id='p5' from='example.com' to='alice@example.com/laptop'/>`},
		{"no id",
			`<iq from='alice@example.com/laptop' to='example.com' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' from='example.com' to='alice@example.com/laptop'/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.r.Route(w.a1, parse(t, tc.in))
			wantGot(t, "a1 (sender)", w.a1, tc.want)
			wantGot(t, "a2", w.a2)
			wantGot(t, "b1", w.b1)
		})
	}
}

func TestIQToServer(t *testing.T) {
	const svc = `<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"unknown get",
			`<iq from='alice@example.com/laptop' to='example.com' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>`,
			[]string{`<iq id='v1' type='error' from='example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:version'/>` + svc + `</iq>`}},
		{"unknown get, no to",
			`<iq from='alice@example.com/laptop' id='v2' type='get'><query xmlns='jabber:iq:version'/></iq>`,
			[]string{`<iq id='v2' type='error' to='alice@example.com/laptop' from='example.com'><query xmlns='jabber:iq:version'/>` + svc + `</iq>`}},
		{"unknown set to own bare JID",
			`<iq from='alice@example.com/laptop' to='alice@example.com' id='v3' type='set'><query xmlns='jabber:iq:roster'/></iq>`,
			[]string{`<iq id='v3' type='error' from='alice@example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:roster'/>` + svc + `</iq>`}},
		{"ping as set",
			`<iq from='alice@example.com/laptop' to='example.com' id='v4' type='set'><ping xmlns='urn:xmpp:ping'/></iq>`,
			[]string{`<iq id='v4' type='error' from='example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>` + svc + `</iq>`}},
		{"ping in the wrong namespace",
			`<iq from='alice@example.com/laptop' to='example.com' id='v5' type='get'><ping xmlns='urn:xmpp:pong'/></iq>`,
			[]string{`<iq id='v5' type='error' from='example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:pong'/>` + svc + `</iq>`}},
		{"result", `<iq from='alice@example.com/laptop' to='example.com' id='r1' type='result'/>`, nil},
		{"result, no to", `<iq from='alice@example.com/laptop' id='r2' type='result'/>`, nil},
		{"error", `<iq from='alice@example.com/laptop' to='example.com' id='r3' type='error'/>`, nil},
		{"presence", `<presence from='alice@example.com/laptop' to='example.com'/>`, nil},
		{"presence, no to", `<presence from='alice@example.com/laptop'/>`, nil},
		{"presence unavailable", `<presence from='alice@example.com/laptop' type='unavailable'/>`, nil},
		{"message", `<message from='alice@example.com/laptop' to='example.com' id='x'><body>hi</body></message>`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld()
			w.r.Route(w.a1, parse(t, tc.in))
			wantGot(t, "a1 (sender)", w.a1, tc.want...)
			wantGot(t, "a2", w.a2)
			wantGot(t, "b1", w.b1)
		})
	}
}

func TestPresenceToUnknownUserIsNotBounced(t *testing.T) {
	w := newWorld()
	w.r.Route(w.a1, parse(t, `<presence from='alice@example.com/laptop' to='nobody@example.com' type='subscribe'/>`))
	wantGot(t, "a1 (sender)", w.a1)
	wantGot(t, "b1", w.b1)

	in := `<presence from='alice@example.com/laptop' to='bob@example.com'/>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "b1", w.b1, in)
	wantGot(t, "a1 (sender)", w.a1)
}

func TestDeliverFailure(t *testing.T) {
	// The only resource cannot take the message: the sender hears about it.
	w := newWorld()
	w.b1.mu.Lock()
	w.b1.fail = true
	w.b1.mu.Unlock()
	in := `<message from='alice@example.com/laptop' to='bob@example.com/desk' id='f1' type='chat'><body>x</body></message>`
	w.r.Route(w.a1, parse(t, in))
	wantGot(t, "b1", w.b1)
	wantGot(t, "a1 (sender)", w.a1,
		`<message id='f1' type='error' from='bob@example.com/desk' to='alice@example.com/laptop'><body>x</body>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`)

	// One of two resources fails: the other one gets the message to the
	// bare JID, and no error goes back.
	w = newWorld()
	w.a1.fail = true
	in = `<message from='bob@example.com/desk' to='alice@example.com' id='f2'><body>x</body></message>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a2", w.a2, in)
	wantGot(t, "b1 (sender)", w.b1)

	// An iq whose target fails to take it: service-unavailable, no fan-out.
	w = newWorld()
	w.a1.fail = true
	in = `<iq from='bob@example.com/desk' to='alice@example.com/laptop' id='f3' type='get'><query xmlns='jabber:iq:version'/></iq>`
	w.r.Route(w.b1, parse(t, in))
	wantGot(t, "a2", w.a2)
	wantGot(t, "b1 (sender)", w.b1,
		`<iq id='f3' type='error' from='alice@example.com/laptop' to='bob@example.com/desk'><query xmlns='jabber:iq:version'/>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)
}

func TestNewRouterDomainCase(t *testing.T) {
	r := session.NewRouter("Example.COM")
	a := newFake("alice@example.com/laptop")
	r.Bind(a)
	r.Route(a, parse(t, `<iq from='alice@example.com/laptop' to='example.com' id='p' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`))
	wantGot(t, "a", a, `<iq type='result' id='p' from='example.com' to='alice@example.com/laptop'/>`)
	a.reset()
	r.Route(a, parse(t, `<iq from='alice@example.com/laptop' id='p' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`))
	wantGot(t, "a (no to)", a, `<iq type='result' id='p' from='example.com' to='alice@example.com/laptop'/>`)
}

func TestConcurrentBindUnbindRoute(t *testing.T) {
	r := session.NewRouter(domain)
	const users, resources, rounds = 8, 4, 50
	var wg sync.WaitGroup
	for u := 0; u < users; u++ {
		for res := 0; res < resources; res++ {
			wg.Add(1)
			go func(u, res int) {
				defer wg.Done()
				jid := fmt.Sprintf("user%d@example.com/r%d", u, res)
				for i := 0; i < rounds; i++ {
					s := newFake(jid)
					r.Bind(s)
					to := fmt.Sprintf("user%d@example.com", (u+1)%users)
					if i%2 == 0 {
						to += fmt.Sprintf("/r%d", res)
					}
					el := etree.NewElement("message")
					el.CreateAttr("from", jid)
					el.CreateAttr("to", to)
					el.CreateElement("body").SetText("x")
					r.Route(s, el)
					iq := etree.NewElement("iq")
					iq.CreateAttr("from", jid)
					iq.CreateAttr("type", "get")
					iq.CreateAttr("id", "p")
					iq.CreateElement("ping").CreateAttr("xmlns", session.NSPing)
					r.Route(s, iq)
					_ = r.Lookup(jid)
					_ = r.Resources(to)
					_ = r.Count()
					r.Unbind(s)
				}
			}(u, res)
		}
	}
	wg.Wait()
	if n := r.Count(); n != 0 {
		t.Errorf("Count() = %d after every session unbound, want 0", n)
	}
}

func TestConcurrentBindSameJID(t *testing.T) {
	r := session.NewRouter(domain)
	const n = 64
	all := make([]*fake, n)
	var wg sync.WaitGroup
	for i := range all {
		all[i] = newFake("same@example.com/r")
		wg.Add(1)
		go func(f *fake) {
			defer wg.Done()
			r.Bind(f)
		}(all[i])
	}
	wg.Wait()
	winner, ok := r.Lookup("same@example.com/r").(*fake)
	if !ok {
		t.Fatal("nothing bound")
	}
	total := 0
	for _, f := range all {
		total += f.replaces()
		if f.replaces() > 1 {
			t.Errorf("a session was replaced %d times", f.replaces())
		}
	}
	if total != n-1 {
		t.Errorf("Replace called %d times in all, want %d", total, n-1)
	}
	if winner.replaces() != 0 {
		t.Error("the bound session was told it is replaced")
	}
	if r.Count() != 1 {
		t.Errorf("Count() = %d, want 1", r.Count())
	}
}
