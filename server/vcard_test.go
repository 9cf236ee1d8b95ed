package server_test

// vcard-temp (XEP-0054) and the XEP-0153 photo hash end to end.

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

const nsVCard = "vcard-temp"

// TestVCard: alice has no vCard (an empty one is the answer, to her own
// get without 'to' and to bob's get of her bare JID); she sets one with a
// photo; her own get and bob's get return it; her next presence carries
// the photo's SHA-1 (computed here from the image bytes), also when the
// client sends an <x/> not ready to say; a photo the client names itself
// is left alone; a set to bob's JID is forbidden; a vCard past
// chat.vcard_max_bytes is refused with not-acceptable and the stored one
// stays; an empty set deletes it, and the hash leaves her presence.
func TestVCard(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Chat.AutoRoster = true
		c.Chat.VCardMaxBytes = 2048
	})
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	bob.available("")

	alice.send("<iq type='get' id='g1'><vCard xmlns='" + nsVCard + "'/></iq>")
	alice.expect("<iq id='g1' type='result' from='alice@localhost' to='alice@localhost/a'><vCard xmlns='vcard-temp'/></iq>")
	bob.send("<iq type='get' id='g2' to='alice@localhost'><vCard xmlns='" + nsVCard + "'/></iq>")
	bob.expect("<iq id='g2' type='result' from='alice@localhost' to='bob@localhost/b'><vCard xmlns='vcard-temp'/></iq>")

	img := []byte("\x89PNG\r\n\x1a\n not really a picture, but bytes all the same \x00\xff")
	sum := sha1.Sum(img)
	hash := hex.EncodeToString(sum[:])
	b64 := base64.StdEncoding.EncodeToString(img)
	folded := b64[:20] + "\n" + b64[20:] // BINVAL is often folded
	card := "<FN>Alice Liddell</FN><PHOTO><TYPE>image/png</TYPE><BINVAL>" + folded + "</BINVAL></PHOTO>"
	alice.send("<iq type='set' id='s1'><vCard xmlns='" + nsVCard + "'>" + card + "</vCard></iq>")
	alice.expect("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	want := "<vCard xmlns='vcard-temp'>" + card + "</vCard>"
	alice.send("<iq type='get' id='g3'><vCard xmlns='" + nsVCard + "'/></iq>")
	alice.expect("<iq id='g3' type='result' from='alice@localhost' to='alice@localhost/a'>" + want + "</iq>")
	bob.send("<iq type='get' id='g4' to='Alice@localhost'><vCard xmlns='" + nsVCard + "'/></iq>")
	bob.expect("<iq id='g4' type='result' from='Alice@localhost' to='bob@localhost/b'>" + want + "</iq>")

	alice.send("<presence/>")
	stamped := "<presence from='alice@localhost/a' to='{*}'><x xmlns='vcard-temp:x:update'><photo>" + hash + "</photo></x></presence>"
	alice.expectSet(strings.Replace(stamped, "{*}", "alice@localhost/a", 1), "<presence from='bob@localhost/b' to='alice@localhost/a'/>")
	bob.expect(strings.Replace(stamped, "{*}", "bob@localhost/b", 1))
	alice.send("<presence><show>away</show><x xmlns='vcard-temp:x:update'/></presence>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><show>away</show><x xmlns='vcard-temp:x:update'><photo>" + hash + "</photo></x></presence>")
	alice.nextElement() // her own copy
	alice.send("<presence><x xmlns='vcard-temp:x:update'><photo/></x></presence>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><x xmlns='vcard-temp:x:update'><photo/></x></presence>")
	alice.nextElement() // her own copy

	alice.send("<iq type='set' id='s2' to='bob@localhost'><vCard xmlns='" + nsVCard + "'><FN>Not Bob</FN></vCard></iq>")
	if el := alice.nextElement(); el.SelectAttrValue("type", "") != "error" || !strings.Contains(string(stream.Marshal(el)), "<forbidden") {
		t.Errorf("a set of bob's vCard was answered with %s", stream.Marshal(el))
	}
	big := strings.Repeat("x", 3000)
	alice.send("<iq type='set' id='s3'><vCard xmlns='" + nsVCard + "'><DESC>" + big + "</DESC></vCard></iq>")
	el := alice.nextElement()
	if got := string(stream.Marshal(el)); el.SelectAttrValue("type", "") != "error" || !strings.Contains(got, "<not-acceptable") || strings.Contains(got, big) {
		t.Errorf("a vCard past the bound was answered with %s", got)
	}
	bob.send("<iq type='get' id='g5' to='alice@localhost'><vCard xmlns='" + nsVCard + "'/></iq>")
	bob.expect("<iq id='g5' type='result' from='alice@localhost' to='bob@localhost/b'>" + want + "</iq>")

	alice.send("<iq type='set' id='s4'><vCard xmlns='" + nsVCard + "'/></iq>")
	alice.expect("<iq id='s4' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	if v, _ := h.set.Store.VCard("alice"); v != nil {
		t.Errorf("store: alice's vCard after an empty set: %q", v)
	}
	alice.send("<presence/>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'/>")
}

// TestVCardSurvivesRestart: a vCard set before a restart is read after
// it, and the photo hash is in the presence of the first session after
// it (read from the store: the cache started empty).
func TestVCardSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	conf := func(c *config.Config) { c.StateDir = dir; c.Chat.AutoRoster = true }
	img := []byte("a photo")
	sum := sha1.Sum(img)
	card := "<NICKNAME>al</NICKNAME><PHOTO><BINVAL>" + base64.StdEncoding.EncodeToString(img) + "</BINVAL></PHOTO>"
	t.Run("before", func(t *testing.T) {
		h := start(t, conf)
		alice := h.login(t, "alice", "a")
		alice.send("<iq type='set' id='s1'><vCard xmlns='" + nsVCard + "'>" + card + "</vCard></iq>")
		alice.expect("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
		if err := h.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	h := start(t, conf)
	bob := h.login(t, "bob", "b")
	bob.available("")
	bob.send("<iq type='get' id='g1' to='alice@localhost'><vCard xmlns='" + nsVCard + "'/></iq>")
	bob.expect("<iq id='g1' type='result' from='alice@localhost' to='bob@localhost/b'><vCard xmlns='vcard-temp'>" + card + "</vCard></iq>")
	alice := h.login(t, "alice", "a")
	alice.send("<presence/>")
	bob.expect("<presence from='alice@localhost/a' to='bob@localhost/b'><x xmlns='vcard-temp:x:update'><photo>" + hex.EncodeToString(sum[:]) + "</photo></x></presence>")
}
