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
