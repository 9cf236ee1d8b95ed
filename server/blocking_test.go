package server_test

// XEP-0191 Blocking Command end to end.

import (
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

const nsBlocking = "urn:xmpp:blocking"

// TestBlocking: bob blocks alice: the blocklist, its push, alice's
// messages and IQs answered with service-unavailable, bob's to alice with
// not-acceptable and <blocked/>, presence stopped both ways, unavailable
// sent at the block; unblocking restores messages; past
// chat.max_blocklist_items a block is refused with resource-constraint.
func TestBlocking(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Chat.AutoRoster = true
		c.Chat.MaxBlocklistItems = 2
	})
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	alice.available("")
	bob.send("<presence/>")
	bob.expectSet("<presence from='bob@localhost/b' to='bob@localhost/b'/>", "<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'/>")

	bob.send("<iq type='get' id='l1'><blocklist xmlns='" + nsBlocking + "'/></iq>")
	bob.expect("<iq id='l1' type='result' from='bob@localhost' to='bob@localhost/b'><blocklist xmlns='" + nsBlocking + "'/></iq>")
	bob.send("<iq type='set' id='b1'><block xmlns='" + nsBlocking + "'><item jid='Alice@localhost'/></block></iq>")
	bob.expect("<iq id='b1' type='result' from='bob@localhost' to='bob@localhost/b'/>")
	bob.expect("<iq type='set' id='block-push' to='bob@localhost/b'><block xmlns='" + nsBlocking + "'><item jid='alice@localhost'/></block></iq>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a' type='unavailable'/>")

	alice.send("<message to='bob@localhost' type='chat' id='m1'><body>hi</body></message>")
	if el := alice.nextElement(); el.SelectAttrValue("type", "") != "error" || !strings.Contains(string(stream.Marshal(el)), "<service-unavailable") {
		t.Errorf("alice's message to bob, who blocks her, was answered with %s", stream.Marshal(el))
	}
	bob.send("<message to='alice@localhost' type='chat' id='m2'><body>hi</body></message>")
	if el := bob.nextElement(); el.SelectAttrValue("type", "") != "error" || !strings.Contains(string(stream.Marshal(el)), "<blocked xmlns='urn:xmpp:blocking:errors'/>") {
		t.Errorf("bob's message to alice, whom he blocks, was answered with %s", stream.Marshal(el))
	}
	alice.send("<presence><show>away</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>away</show></presence>")
	alice.ping()
	bob.ping() // nothing from alice
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob from a blocked sender", n)
	}

	bob.send("<iq type='get' id='l2'><blocklist xmlns='" + nsBlocking + "'/></iq>")
	bob.expect("<iq id='l2' type='result' from='bob@localhost' to='bob@localhost/b'><blocklist xmlns='" + nsBlocking + "'><item jid='alice@localhost'/></blocklist></iq>")
	bob.send("<iq type='set' id='b2'><block xmlns='" + nsBlocking + "'><item jid='x@example.org'/><item jid='example.net'/></block></iq>")
	if el := bob.nextElement(); el.SelectAttrValue("type", "") != "error" || !strings.Contains(string(stream.Marshal(el)), "<resource-constraint") {
		t.Errorf("a block past the bound was answered with %s", stream.Marshal(el))
	}

	bob.send("<iq type='set' id='u1'><unblock xmlns='" + nsBlocking + "'/></iq>")
	bob.expect("<iq id='u1' type='result' from='bob@localhost' to='bob@localhost/b'/>")
	bob.expect("<iq type='set' id='block-push' to='bob@localhost/b'><unblock xmlns='" + nsBlocking + "'/></iq>")
	alice.send("<message to='bob@localhost/b' type='chat' id='m3'><body>again</body></message>")
	bob.expect("<message to='bob@localhost/b' type='chat' id='m3' from='alice@localhost/a'><body>again</body></message>")
}

// TestDiscoListsWhatIsImplemented: the server's disco#info names the
// features of this issue that are implemented.
func TestDiscoListsWhatIsImplemented(t *testing.T) {
	h := start(t, nil)
	c := h.login(t, "alice", "a")
	c.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	got := string(stream.Marshal(c.nextElement()))
	for _, f := range []string{"urn:xmpp:carbons:2", "urn:xmpp:blocking", "vcard-temp", "urn:xmpp:mam:2", "urn:xmpp:mam:2#extended"} {
		if !strings.Contains(got, "<feature var='"+f+"'/>") {
			t.Errorf("disco#info does not list %s: %s", f, got)
		}
	}
	for _, f := range []string{"urn:xmpp:sm:3", "urn:xmpp:csi:0"} {
		if strings.Contains(got, "'"+f+"'") {
			t.Errorf("disco#info lists %s, which is a stream feature or not implemented: %s", f, got)
		}
	}
}
