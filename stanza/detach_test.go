package stanza

import (
	"testing"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// TestDetached: prefixes and inherited declarations become plain xmlns
// declarations where the namespace changes, comments go, text stays, and
// an attribute's prefix keeps its declaration; an unprefixed child of a
// prefixed element is in the default namespace, and says so.
func TestDetached(t *testing.T) {
	doc := etree.NewDocument()
	in := `<query xmlns='jabber:iq:private' xmlns:b='storage:bookmarks'><b:storage><b:conference jid='r@c' xmlns:x='urn:x' x:a='1'><nick>n</nick><!-- c --></b:conference><other xmlns='o'/></b:storage></query>`
	if err := doc.ReadFromString(in); err != nil {
		t.Fatal(err)
	}
	got := string(stream.Marshal(Detached(doc.Root().ChildElements()[0])))
	want := `<storage xmlns='storage:bookmarks'><conference jid='r@c' xmlns:x='urn:x' x:a='1'><nick xmlns='jabber:iq:private'>n</nick></conference><other xmlns='o'/></storage>`
	if got != want {
		t.Errorf("Detached =\n  %s\nwant\n  %s", got, want)
	}
}

// TestDetachedDeclaresInheritedPrefixes: a prefixed attribute whose prefix
// is declared on an ancestor outside the detached element (the <item> a
// PEP payload sits in, the <query> of private storage) gets the
// declaration in the copy, once, at the outermost element that needs it;
// a prefix rebound further down is declared again there; xml: needs no
// declaration; an attribute whose prefix nobody declared is dropped
// rather than stored as XML no reader could parse.
func TestDetachedDeclaresInheritedPrefixes(t *testing.T) {
	doc := etree.NewDocument()
	in := `<item xmlns='http://jabber.org/protocol/pubsub' xmlns:foo='urn:x' xmlns:unused='urn:u'>` +
		`<payload xmlns='urn:p' foo:bar='1' xml:lang='en'><inner foo:baz='2'/><re xmlns:foo='urn:y' foo:q='3'/></payload></item>`
	if err := doc.ReadFromString(in); err != nil {
		t.Fatal(err)
	}
	got := string(stream.Marshal(Detached(doc.Root().ChildElements()[0])))
	want := `<payload xmlns='urn:p' xmlns:foo='urn:x' foo:bar='1' xml:lang='en'><inner foo:baz='2'/><re xmlns:foo='urn:y' foo:q='3'/></payload>`
	if got != want {
		t.Errorf("Detached =\n  %s\nwant\n  %s", got, want)
	}
	back := etree.NewDocument()
	if err := back.ReadFromString(got); err != nil {
		t.Fatalf("the detached copy does not parse: %v", err)
	}
	if a := back.Root().SelectElement("inner").SelectAttr("foo:baz"); a == nil || a.NamespaceURI() != "urn:x" {
		t.Errorf("inner's foo:baz reads in %v, want urn:x", a)
	}

	doc = etree.NewDocument()
	if err := doc.ReadFromString(`<a xmlns='urn:a'><b ghost:c='1' d='2'/></a>`); err != nil {
		t.Fatal(err)
	}
	if got, want := string(stream.Marshal(Detached(doc.Root().ChildElements()[0]))), `<b xmlns='urn:a' d='2'/>`; got != want {
		t.Errorf("undeclared prefix: Detached = %s, want %s", got, want)
	}
}
