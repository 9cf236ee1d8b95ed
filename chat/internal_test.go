package chat

import (
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/store"
)

type nopSession string

func (s nopSession) JID() string                { return string(s) }
func (nopSession) Deliver(*etree.Element) error { return nil }
func (nopSession) Replace()                     {}

func newTestRouter(t *testing.T) *Router {
	t.Helper()
	db, err := store.Open(store.Path(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewRouter("example.com", db, Options{}, zerolog.Nop())
}

func presence(attrs ...string) *etree.Element {
	el := etree.NewElement("presence")
	for i := 0; i+1 < len(attrs); i += 2 {
		el.CreateAttr(attrs[i], attrs[i+1])
	}
	return el
}

func TestUnbindDropsEmptyBareEntries(t *testing.T) {
	r := newTestRouter(t)
	a, b, c := nopSession("alice@example.com/1"), nopSession("alice@example.com/2"), nopSession("bob@example.com/1")
	r.Bind(a)
	r.Bind(b)
	r.Bind(c)
	if len(r.byBare) != 2 {
		t.Fatalf("%d bare entries, want 2", len(r.byBare))
	}
	r.Unbind(a)
	if len(r.byBare) != 2 || len(r.byBare["alice@example.com"]) != 1 {
		t.Errorf("after Unbind(a): %v", r.byBare)
	}
	r.Unbind(b)
	if _, ok := r.byBare["alice@example.com"]; ok || len(r.byBare) != 1 {
		t.Errorf("empty bare entry kept: %v", r.byBare)
	}
	r.Unbind(c)
	if len(r.byBare) != 0 || r.Count() != 0 {
		t.Errorf("after unbinding all: %v, Count %d", r.byBare, r.Count())
	}
}

func TestEntryState(t *testing.T) {
	// What the router remembers of a session: availability, priority, the
	// last presence, the roster flag, directed presence.
	r := newTestRouter(t)
	s := nopSession("alice@example.com/1")
	r.Bind(s)
	e := r.byBare["alice@example.com"].get("1")
	if e.available || e.roster || e.presence != nil || e.directed != nil {
		t.Fatalf("a new entry has state: %+v", e)
	}
	p := presence("from", string(s))
	p.CreateElement("priority").SetText(" 7 ")
	r.Route(s, p)
	if !e.available || e.priority != 7 || e.presence == nil || e.presence == p {
		t.Errorf("after available presence: available %v, priority %d, presence %p (sent %p)", e.available, e.priority, e.presence, p)
	}
	r.Route(s, presence("from", string(s), "to", "bob@example.com/x"))
	r.Route(s, presence("from", string(s), "to", "carol@example.com"))
	if len(e.directed) != 2 || !e.directed["bob@example.com/x"] || !e.directed["carol@example.com"] {
		t.Errorf("directed = %v", e.directed)
	}
	r.Route(s, presence("from", string(s), "to", "carol@example.com", "type", "unavailable"))
	if len(e.directed) != 1 {
		t.Errorf("directed after a directed unavailable = %v", e.directed)
	}
	q := etree.NewElement("iq")
	q.CreateAttr("type", "get")
	q.CreateAttr("id", "r")
	q.CreateElement("query").CreateAttr("xmlns", NSRoster)
	r.Route(s, q)
	if !e.roster {
		t.Error("a roster get did not mark the session for pushes")
	}
	r.Route(s, presence("from", string(s), "type", "unavailable"))
	if e.available || e.presence != nil || e.directed != nil {
		t.Errorf("after unavailable: available %v, presence %v, directed %v", e.available, e.presence, e.directed)
	}
	if !e.roster {
		t.Error("unavailable presence cleared the roster flag")
	}
}

func TestPriorityOf(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"", 0}, {"5", 5}, {" -3 ", -3}, {"127", 127}, {"-128", -128},
		{"128", 0}, {"-129", 0}, {"x", 0}, {"1.5", 0},
	} {
		el := etree.NewElement("presence")
		if tc.text != "" {
			el.CreateElement("priority").SetText(tc.text)
		}
		if got := priorityOf(el); got != tc.want {
			t.Errorf("priorityOf(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

func TestSubscriptionStateMoves(t *testing.T) {
	// RFC 6121 Appendix A, as the four moves the router makes.
	const none, to, from, both = store.SubNone, store.SubTo, store.SubFrom, store.SubBoth
	for _, tc := range []struct {
		name string
		fn   func(store.Subscription) store.Subscription
		in   []store.Subscription
		out  []store.Subscription
	}{
		{"addTo", addTo, []store.Subscription{"", none, to, from, both}, []store.Subscription{to, to, to, both, both}},
		{"addFrom", addFrom, []store.Subscription{"", none, to, from, both}, []store.Subscription{from, from, both, from, both}},
		{"removeTo", removeTo, []store.Subscription{"", none, to, from, both}, []store.Subscription{none, none, none, from, from}},
		{"removeFrom", removeFrom, []store.Subscription{"", none, to, from, both}, []store.Subscription{none, none, to, none, to}},
	} {
		for i, in := range tc.in {
			if got := tc.fn(in); got != tc.out[i] {
				t.Errorf("%s(%q) = %q, want %q", tc.name, in, got, tc.out[i])
			}
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ in, bare, res string }{
		{"Alice@Example.com/Laptop", "alice@example.com", "Laptop"},
		{"alice@example.com", "alice@example.com", ""},
		{"example.com", "example.com", ""},
		{"a@b/c/d", "a@b", "c/d"},
		{"", "", ""},
	} {
		bare, res := split(tc.in)
		if bare != tc.bare || res != tc.res {
			t.Errorf("split(%q) = %q, %q; want %q, %q", tc.in, bare, res, tc.bare, tc.res)
		}
	}
}

func TestContactJID(t *testing.T) {
	r := newTestRouter(t)
	for _, tc := range []struct{ in, want string }{
		{"Bob@Example.COM", "bob@example.com"},
		{"Example.org", "example.org"},
	} {
		if got, err := r.contactJID(tc.in); err != nil || got != tc.want {
			t.Errorf("contactJID(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "bob@example.com/r", "@example.com", "bob@"} {
		if got, err := r.contactJID(in); err == nil {
			t.Errorf("contactJID(%q) = %q, want an error", in, got)
		}
	}
}
