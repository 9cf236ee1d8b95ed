package private

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/store"
	"jabberd/stream"
)

type session struct{ got []string }

func (s *session) JID() string { return "alice@example.com/a" }
func (s *session) Deliver(el *etree.Element) error {
	s.got = append(s.got, string(stream.Marshal(el)))
	return nil
}
func (s *session) Replace() {}

type memStore map[string][]byte

func (m memStore) PrivateXML(owner, key string) ([]byte, error) { return m[owner+" "+key], nil }
func (m memStore) SetPrivateXML(owner string, set map[string][]byte, _ int) error {
	for k, v := range set {
		m[owner+" "+k] = v
	}
	return nil
}

type mirror struct{ set *etree.Element }

func (m *mirror) Get(string) (*etree.Element, error) { return m.set, nil }
func (m *mirror) Set(_ string, el *etree.Element) error {
	m.set = el
	return nil
}

func request(t *testing.T, s *Service, xml string) *session {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(xml); err != nil {
		t.Fatal(err)
	}
	el := doc.Root()
	to := el.SelectAttrValue("to", "alice@example.com")
	sess := &session{}
	if !s.HandleIQ(sess, el, el.ChildElements()[0], to) {
		t.Fatalf("not handled: %s", xml)
	}
	return sess
}

// TestMirrorAndStore: a set of two elements goes to the mirror for its
// key and to the store for the other, and each get reads from there; a
// get of two elements is bad-request, another account's storage
// forbidden.
func TestMirrorAndStore(t *testing.T) {
	m := &mirror{}
	st := memStore{}
	s := New(Options{Domain: "example.com", Store: st, MaxBytes: 1000, Log: zerolog.Nop(),
		Mirrors: map[string]Mirror{"{storage:bookmarks}storage": m}})
	got := request(t, s, `<iq type='set' id='1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='r@c'/></storage><notes xmlns='n'/></query></iq>`)
	if len(got.got) != 1 || !strings.Contains(got.got[0], "type='result'") {
		t.Fatalf("set answered %q", got.got)
	}
	if m.set == nil || m.set.SelectElement("conference") == nil || st["alice {n}notes"] == nil || st["alice {storage:bookmarks}storage"] != nil {
		t.Errorf("the mirror got %v, the store %q", m.set, st)
	}
	got = request(t, s, `<iq type='get' id='2'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>`)
	if len(got.got) != 1 || !strings.Contains(got.got[0], "<conference jid='r@c'/>") {
		t.Errorf("get of the mirrored element answered %q", got.got)
	}
	got = request(t, s, `<iq type='get' id='3'><query xmlns='jabber:iq:private'><a xmlns='a'/><b xmlns='b'/></query></iq>`)
	if len(got.got) != 1 || !strings.Contains(got.got[0], "<bad-request") {
		t.Errorf("get of two elements answered %q", got.got)
	}
	got = request(t, s, `<iq type='get' id='4' to='bob@example.com'><query xmlns='jabber:iq:private'><n xmlns='n'/></query></iq>`)
	if len(got.got) != 1 || !strings.Contains(got.got[0], "<forbidden") {
		t.Errorf("get of bob's answered %q", got.got)
	}
}

type fullStore struct{ memStore }

func (fullStore) SetPrivateXML(string, map[string][]byte, int) error { return store.ErrPrivateFull }

// TestRefusedSetMirrorsNothing: a set of a mirrored element (bookmarks)
// and another that the store refuses (full) is resource-constraint and
// leaves the mirrored element as it was.
func TestRefusedSetMirrorsNothing(t *testing.T) {
	m := &mirror{}
	s := New(Options{Domain: "example.com", Store: fullStore{memStore{}}, MaxBytes: 10, Log: zerolog.Nop(),
		Mirrors: map[string]Mirror{"{storage:bookmarks}storage": m}})
	got := request(t, s, `<iq type='set' id='1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'><conference jid='r@c'/></storage><notes xmlns='n'/></query></iq>`)
	if len(got.got) != 1 || !strings.Contains(got.got[0], "<resource-constraint") {
		t.Fatalf("set answered %q", got.got)
	}
	if m.set != nil {
		t.Errorf("the refused set changed the mirrored element: %s", stream.Marshal(m.set))
	}
}
