package server_test

// XEP-0352 Client State Indication end to end.

import (
	"testing"

	"jabberd/config"
)

const nsCSI = "urn:xmpp:csi:0"

func csiPair(t *testing.T, maxHeld int) (h *harness, alice, bob *chatClient) {
	h = start(t, func(c *config.Config) {
		c.Chat.AutoRoster = true
		c.Chat.CSIMaxHeld = maxHeld
	})
	alice = h.login(t, "alice", "a")
	bob = h.login(t, "bob", "b")
	alice.available("")
	bob.send("<presence/>")
	bob.expectSet("<presence from='bob@localhost/b' to='bob@localhost/b'/>", "<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'/>")
	return h, alice, bob
}

// TestCSIHoldsPresence: while bob is inactive, alice's presence changes
// and chat states wait, the latest per kind; a message releases them in
// order before itself, and <active/> releases the rest.
func TestCSIHoldsPresence(t *testing.T) {
	_, alice, bob := csiPair(t, 100)
	bob.send("<inactive xmlns='" + nsCSI + "'/>")
	bob.ping() // the state is set before alice speaks
	for _, show := range []string{"away", "dnd", "xa"} {
		alice.send("<presence><show>" + show + "</show></presence>")
		alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>" + show + "</show></presence>")
	}
	alice.send("<message to='bob@localhost/b' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")
	alice.ping()
	alice.send("<message to='bob@localhost/b' type='chat' id='m1'><body>hi</body></message>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>xa</show></presence>")
	bob.expect("<message to='bob@localhost/b' type='chat' from='alice@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")
	bob.expect("<message to='bob@localhost/b' type='chat' id='m1' from='alice@localhost/a'><body>hi</body></message>")

	alice.send("<presence><show>chat</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>chat</show></presence>")
	alice.send("<presence/>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'/>")
	alice.ping()
	bob.send("<active xmlns='" + nsCSI + "'/>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	bob.ping()
	// Active again: presence flows at once.
	alice.send("<presence><show>away</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>away</show></presence>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>away</show></presence>")
}

// TestCSIBound: past chat.csi_max_held what is held is released.
func TestCSIBound(t *testing.T) {
	_, alice, bob := csiPair(t, 1)
	bob.send("<inactive xmlns='" + nsCSI + "'/>")
	bob.ping() // the state is set before alice speaks
	alice.send("<presence><show>away</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>away</show></presence>")
	alice.send("<message to='bob@localhost/b' type='chat'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>away</show></presence>")
	bob.expect("<message to='bob@localhost/b' type='chat' from='alice@localhost/a'><paused xmlns='http://jabber.org/protocol/chatstates'/></message>")
}
