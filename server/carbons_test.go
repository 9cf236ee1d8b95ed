package server_test

// XEP-0280 Message Carbons end to end.

import "testing"

const nsCarbons = "urn:xmpp:carbons:2"

// TestCarbons: bob's b2 enables carbons and gets a copy of what alice
// sends b1 (received) and of what b1 sends (sent); b1, without carbons,
// gets no copies; private messages are not copied; disabling stops them.
func TestCarbons(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	b1 := h.login(t, "bob", "b1")
	b2 := h.login(t, "bob", "b2")

	b2.send("<iq type='set' id='c1'><enable xmlns='" + nsCarbons + "'/></iq>")
	b2.expect("<iq id='c1' type='result' from='bob@localhost' to='bob@localhost/b2'/>")

	alice.send("<message to='bob@localhost/b1' type='chat' id='r1'><body>to b1</body></message>")
	b1.expect("<message to='bob@localhost/b1' type='chat' id='r1' from='alice@localhost/a'><body>to b1</body></message>")
	b2.expect("<message from='bob@localhost' to='bob@localhost/b2' type='chat'><received xmlns='" + nsCarbons + "'>" +
		"<forwarded xmlns='urn:xmpp:forward:0'><message to='bob@localhost/b1' type='chat' id='r1' from='alice@localhost/a' xmlns='jabber:client'><body>to b1</body></message></forwarded></received></message>")

	b1.send("<message to='alice@localhost/a' type='chat' id='s1'><body>from b1</body></message>")
	alice.expect("<message to='alice@localhost/a' type='chat' id='s1' from='bob@localhost/b1'><body>from b1</body></message>")
	b2.expect("<message from='bob@localhost' to='bob@localhost/b2' type='chat'><sent xmlns='" + nsCarbons + "'>" +
		"<forwarded xmlns='urn:xmpp:forward:0'><message to='alice@localhost/a' type='chat' id='s1' from='bob@localhost/b1' xmlns='jabber:client'><body>from b1</body></message></forwarded></sent></message>")

	// b2's own message: b2 is the sender, b1 has no carbons.
	b2.send("<message to='alice@localhost/a' type='chat' id='s2'><body>from b2</body></message>")
	alice.expect("<message to='alice@localhost/a' type='chat' id='s2' from='bob@localhost/b2'><body>from b2</body></message>")
	// Private: no copy.
	alice.send("<message to='bob@localhost/b1' type='chat' id='p1'><body>private</body><private xmlns='" + nsCarbons + "'/></message>")
	b1.expect("<message to='bob@localhost/b1' type='chat' id='p1' from='alice@localhost/a'><body>private</body><private xmlns='" + nsCarbons + "'/></message>")
	alice.ping()
	b1.ping()
	b2.ping()

	b2.send("<iq type='set' id='c2'><disable xmlns='" + nsCarbons + "'/></iq>")
	b2.expect("<iq id='c2' type='result' from='bob@localhost' to='bob@localhost/b2'/>")
	alice.send("<message to='bob@localhost/b1' type='chat' id='r2'><body>again</body></message>")
	b1.expect("<message to='bob@localhost/b1' type='chat' id='r2' from='alice@localhost/a'><body>again</body></message>")
	alice.ping()
	b2.ping()
}
