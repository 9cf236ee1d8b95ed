package server_test

// XEP-0352 when the session ends or is resumed (XEP-0198): what was held
// for an inactive client.

import (
	"strconv"
	"testing"

	"jabberd/config"
)

const composing = "<composing xmlns='http://jabber.org/protocol/chatstates'/>"

// TestCSIHeldDeliveredOnResume: bob (stream management, resumable) says
// he is inactive; alice's presence changes and a chat state are held for
// him; his connection vanishes; he resumes on a new one and gets, after
// <resumed/>, the latest presence and the chat state, counted by stream
// management; the resumed stream is active (XEP-0352 §5.2): alice's next
// presence reaches him at once.
func TestCSIHeldDeliveredOnResume(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.AutoRoster = true })
	alice := h.login(t, "alice", "a")
	bob := &smClient{chatClient: h.login(t, "bob", "b")}
	id := bob.enable(true)
	bob.send("<presence/>")
	bob.expectStanza("<presence from='bob@localhost/b' to='bob@localhost/b'/>")
	alice.available("")
	alice.expect("<presence from='bob@localhost/b' to='alice@localhost/a'/>")
	bob.expectStanza("<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	bob.send("<inactive xmlns='" + nsCSI + "'/>")
	bob.smPing() // the state is set before alice speaks
	for _, show := range []string{"away", "xa"} {
		alice.send("<presence><show>" + show + "</show></presence>")
		alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>" + show + "</show></presence>")
	}
	alice.send("<message to='bob@localhost/b' type='chat'>" + composing + "</message>")
	alice.ping()
	// The connection vanishes: nothing is read or written on it from now.
	received := bob.in

	c := h.login(t, "bob", "")
	c.send("<resume xmlns='" + nsSM + "' previd='" + id + "' h='" + strconv.Itoa(int(received)) + "'/>")
	c.expect("<resumed xmlns='" + nsSM + "' h='2' previd='" + id + "'/>") // his presence and his ping
	c.jid = "bob@localhost/b"
	bob2 := &smClient{chatClient: c, in: received}
	bob2.expectStanza("<presence from='alice@localhost/a' to='bob@localhost/b'><show>xa</show></presence>")
	bob2.expectStanza("<message to='bob@localhost/b' type='chat' from='alice@localhost/a'>" + composing + "</message>")
	alice.send("<presence><show>dnd</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>dnd</show></presence>")
	bob2.expectStanza("<presence from='alice@localhost/a' to='bob@localhost/b'><show>dnd</show></presence>")
	bob2.send("<a xmlns='" + nsSM + "' h='" + strconv.Itoa(int(bob2.in)) + "'/>")
	bob2.smPing() // the count the client kept is the server's: no stream error
}

// TestCSIEndDropsHeld: bob, inactive, has a presence update and a chat
// state held when his TCP connection drops; a message with a body sent
// meanwhile was not held (he got it at once, the held first). At the end
// what is held is dropped and logged; nothing of it is in offline
// storage, and a message sent after goes there as usual.
func TestCSIEndDropsHeld(t *testing.T) {
	h, alice, bob := csiPair(t, 100)
	bob.send("<inactive xmlns='" + nsCSI + "'/>")
	bob.ping()
	alice.send("<presence><show>away</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>away</show></presence>")
	alice.send("<message to='bob@localhost/b' type='chat' id='m1'><body>hi</body></message>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>away</show></presence>")
	bob.expect("<message to='bob@localhost/b' type='chat' id='m1' from='alice@localhost/a'><body>hi</body></message>")
	alice.send("<presence><show>xa</show></presence>")
	alice.expect("<presence from='alice@localhost/a' to='alice@localhost/a'><show>xa</show></presence>")
	alice.send("<message to='bob@localhost/b' type='chat'>" + composing + "</message>")
	alice.ping()
	bob.tcp.Close()
	e := h.logs.wait(t, match{msg: "the session ended while inactive; its held presence updates and chat states are dropped", fields: map[string]string{"jid": "bob@localhost/b"}})
	if n, _ := e.Num("held"); n != 2 {
		t.Errorf("held dropped: %v, want 2 (a presence update and a chat state)", n)
	}
	alice.expect("<presence from='bob@localhost/b' type='unavailable' to='alice@localhost/a'/>")
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob from what was held, want 0", n)
	}
	alice.send("<message to='bob@localhost' type='chat' id='m2'><body>later</body></message>")
	alice.ping()
	if n, _ := h.set.Store.CountOffline("bob"); n != 1 {
		t.Errorf("store: %d offline messages for bob after one was sent to him offline, want 1", n)
	}
}
