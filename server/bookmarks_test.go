package server_test

import (
	"testing"
)

// TestBookmarksCompatDuplicates: XEP-0048 bookmarks with one room twice
// are one XEP-0402 item (an item id is the room's JID): the first.
func TestBookmarksCompatDuplicates(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	lab := "<conference jid='lab@conference.localhost' name='Lab'/>"
	again := "<conference jid='lab@conference.localhost' name='Lab again' autojoin='true'/>"
	alice.send("<iq type='set' id='s1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" + lab + again + "</storage></query></iq>")
	alice.expect("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	alice.send("<iq type='get' id='g1'><pubsub xmlns='" + nsPubsub + "'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>")
	alice.expect("<iq id='g1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><items node='urn:xmpp:bookmarks:1'>" +
		"<item id='lab@conference.localhost'><conference xmlns='urn:xmpp:bookmarks:1' name='Lab'/></item></items></pubsub></iq>")
}
