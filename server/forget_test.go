package server_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"jabberd/config"
)

// TestDeletedAccountForgotten: carol (an account made with `jabberd users
// add`) sets a vCard with a photo — her presence carries its hash — and
// blocks bob; her account is deleted through the running server's
// control (Users.Del) and made again. The new carol has no vCard, her
// presence no hash, and bob's message reaches her: what the server kept
// in memory of the old account (the photo hash, the blocklist) went with
// it.
func TestDeletedAccountForgotten(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.AutoRoster = true })
	users := h.set.Users()
	if _, err := users.Add("carol", extraPassword("carol")); err != nil {
		t.Fatal(err)
	}
	bob := h.login(t, "bob", "b")
	bob.available("")
	carol := h.login(t, "carol", "c")
	sum := sha1.Sum([]byte("photo"))
	carol.send("<iq type='set' id='v1'><vCard xmlns='vcard-temp'><PHOTO><BINVAL>" + base64.StdEncoding.EncodeToString([]byte("photo")) + "</BINVAL></PHOTO></vCard></iq>")
	carol.expect("<iq id='v1' type='result' from='carol@localhost' to='carol@localhost/c'/>")
	carol.send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='bob@localhost'/></block></iq>")
	carol.expect("<iq id='b1' type='result' from='carol@localhost' to='carol@localhost/c'/>")
	carol.send("<presence/>")
	carol.expect("<presence from='carol@localhost/c' to='carol@localhost/c'><x xmlns='vcard-temp:x:update'><photo>" + hex.EncodeToString(sum[:]) + "</photo></x></presence>")
	// In her archive (and alice's, offline), queued when she is deleted.
	carol.send("<message to='alice@localhost' type='chat' id='m0'><body>before</body></message>")
	carol.closeStream()
	carol.expectEOF()

	if _, err := users.Del("carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := users.Add("carol", extraPassword("carol")); err != nil {
		t.Fatal(err)
	}
	carol = h.login(t, "carol", "c")
	carol.send("<presence/>")
	carol.expectSet("<presence from='carol@localhost/c' to='carol@localhost/c'/>", "<presence from='bob@localhost/b' to='carol@localhost/c'/>")
	carol.send("<iq type='get' id='v2'><vCard xmlns='vcard-temp'/></iq>")
	carol.expect("<iq id='v2' type='result' from='carol@localhost' to='carol@localhost/c'><vCard xmlns='vcard-temp'/></iq>")
	bob.send("<message to='carol@localhost/c' type='chat' id='m1'><body>hello again</body></message>")
	carol.expect("<message to='carol@localhost/c' type='chat' id='m1' from='bob@localhost/b'><body>hello again</body></message>")
	// The old carol's archive went with her, after what was queued for it.
	if got := h.archivedIDs(t, h.set.Store, "carol@localhost"); len(got) != 1 || got["m1"] == nil {
		t.Errorf("the new carol's archive: %v", got)
	}
}
