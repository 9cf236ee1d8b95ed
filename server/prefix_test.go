package server_test

// Stored payloads keep the declaration of a prefix the client put on an
// element the server does not store.

import (
	"testing"

	"github.com/beevik/etree"
)

// TestStoredPayloadKeepsInheritedPrefix: an attribute's prefix declared on
// the <item> of a PEP publish, or on the <query> of a private-storage set,
// outside the payload that is stored, is declared in the payload read
// back; the answer parses and the attribute is still in urn:x.
func TestStoredPayloadKeepsInheritedPrefix(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	payload := "<payload xmlns='urn:p' xmlns:foo='urn:x' foo:bar='1'><inner foo:baz='2'/></payload>"

	alice.send("<iq type='set' id='p1'><pubsub xmlns='" + nsPubsub + "'><publish node='urn:p'>" +
		"<item id='i1' xmlns:foo='urn:x'><payload xmlns='urn:p' foo:bar='1'><inner foo:baz='2'/></payload></item></publish></pubsub></iq>")
	alice.expect("<iq id='p1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><publish node='urn:p'><item id='i1'/></publish></pubsub></iq>")
	alice.send("<iq type='get' id='g1'><pubsub xmlns='" + nsPubsub + "'><items node='urn:p'/></pubsub></iq>")
	got := alice.expect("<iq id='g1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><items node='urn:p'><item id='i1'>" + payload + "</item></items></pubsub></iq>")
	checkFooIsX(t, "PEP", got)

	alice.send("<iq type='set' id='s1'><query xmlns='jabber:iq:private' xmlns:foo='urn:x'><payload xmlns='urn:p' foo:bar='1'><inner foo:baz='2'/></payload></query></iq>")
	alice.expect("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	alice.send("<iq type='get' id='g2'><query xmlns='jabber:iq:private'><payload xmlns='urn:p'/></query></iq>")
	got = alice.expect("<iq id='g2' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'>" + payload + "</query></iq>")
	checkFooIsX(t, "private storage", got)
}

// checkFooIsX checks that the <inner> of the answer, as the client parsed
// it, has its foo:baz in urn:x, as the client sent it.
func checkFooIsX(t *testing.T, what string, answer *etree.Element) {
	t.Helper()
	inner := answer.FindElement(".//inner")
	if inner == nil {
		t.Fatalf("%s: no <inner> in the answer", what)
	}
	if a := inner.SelectAttr("foo:baz"); a == nil || a.NamespaceURI() != "urn:x" {
		t.Errorf("%s: <inner>'s foo:baz is %v, want it in urn:x", what, a)
	}
}
