package server_test

import (
	"testing"

	"jabberd/stream"
)

// TestMUCMultiSessionNick: two sessions of alice's account, over loopback
// TLS, share the nickname Alice: the second join is answered to it alone,
// bob's message reaches both, and the first session's leaving does not
// take Alice out of the room for bob; the second session's stream ending
// does.
func TestMUCMultiSessionNick(t *testing.T) {
	h := start(t, nil)
	a1 := h.login(t, "alice", "one")
	a2 := h.login(t, "alice", "two")
	bob := h.login(t, "bob", "b")
	a1.mucJoin("Alice", "")
	bob.mucJoin("Bob", "")
	a1.nextFrom(mucRoom + "/Bob")
	got := a2.mucJoin("Alice", "")
	if len(got) != 3 || got[0].SelectAttrValue("from", "") != mucRoom+"/Bob" || got[0].SelectAttrValue("to", "") != a2.jid || mucCodes(got[1]) != "110,170" ||
		got[1].SelectAttrValue("from", "") != mucRoom+"/Alice" || got[1].SelectAttrValue("to", "") != a2.jid {
		t.Fatalf("the second session's join: %d stanzas, %s", len(got), stream.Marshal(got[len(got)-2]))
	}
	// Nobody else heard of it: bob's and a1's next stanzas are the
	// message.
	bob.send("<message to='" + mucRoom + "' type='groupchat' id='g1'><body>to both</body></message>")
	for _, c := range []*chatClient{a1, a2, bob} {
		if el := c.nextFrom(mucRoom + "/Bob"); el.SelectElement("body") == nil || el.SelectAttrValue("to", "") != c.jid {
			t.Fatalf("%s: %s", c.jid, stream.Marshal(el))
		}
	}
	a1.send("<presence to='" + mucRoom + "/Alice' type='unavailable'/>")
	if el := a1.nextFrom(mucRoom + "/Alice"); el.SelectAttrValue("type", "") != "unavailable" || mucCodes(el) != "110" {
		t.Fatalf("the first session leaving: %s", stream.Marshal(el))
	}
	// Alice's real JID is now the second session's: bob gets her presence
	// again, available.
	if el := bob.nextFrom(mucRoom + "/Alice"); el.SelectAttrValue("type", "") != "" {
		t.Fatalf("bob when one session left: %s", stream.Marshal(el))
	}
	if el := a2.nextFrom(mucRoom + "/Alice"); mucCodes(el) != "110" || el.FindElement("x/item[@jid='"+a2.jid+"']") == nil {
		t.Fatalf("the staying session: %s", stream.Marshal(el))
	}
	a1.ping()
	a2.closeStream()
	if el := bob.nextFrom(mucRoom + "/Alice"); el.SelectAttrValue("type", "") != "unavailable" {
		t.Fatalf("bob when the last session ended: %s", stream.Marshal(el))
	}
	bob.ping()
}
