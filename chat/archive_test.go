package chat

import (
	"testing"

	"github.com/beevik/etree"
)

// TestStanzaIDBy: a XEP-0359 <stanza-id/> is known by its name and its
// resolved namespace, prefixed or not; anything else (origin-id, another
// namespace, a stanza-id in no namespace) is not one, whatever its by says.
func TestStanzaIDBy(t *testing.T) {
	for _, tc := range []struct {
		xml, by string
		ok      bool
	}{
		{`<message><stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='x'/></message>`, "bob@localhost", true},
		{`<message xmlns:sid='urn:xmpp:sid:0'><sid:stanza-id by='room@conference.localhost' id='x'/></message>`, "room@conference.localhost", true},
		{`<message><stanza-id xmlns='urn:xmpp:sid:0' id='x'/></message>`, "", true},
		{`<message><origin-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='x'/></message>`, "", false},
		{`<message><stanza-id xmlns='urn:xmpp:sid:1' by='bob@localhost' id='x'/></message>`, "", false},
		{`<message><stanza-id by='bob@localhost' id='x'/></message>`, "", false},
		{`<message xmlns:sid='urn:xmpp:sid:0'><x:stanza-id xmlns:x='other' by='bob@localhost'/></message>`, "", false},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(tc.xml); err != nil {
			t.Fatal(err)
		}
		by, ok := StanzaIDBy(doc.Root().ChildElements()[0])
		if by != tc.by || ok != tc.ok {
			t.Errorf("%s: (%q, %v), want (%q, %v)", tc.xml, by, ok, tc.by, tc.ok)
		}
	}
}
