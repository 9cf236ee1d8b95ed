package interop

// vcard-temp (XEP-0054) and vCard avatars (XEP-0153) with slixmpp
// (testdata/slixmpp_vcard.py).

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"jabberd/config"
)

// TestSlixmppVCard: alice's slixmpp (xep_0054 only) publishes a vCard with
// a photo and sends presence without any photo hash of its own; bob's
// slixmpp (xep_0153) reports the hash it read in her presence — the one
// jabberd computed — and bob's xep_0054 reads her vCard back: the photo
// bytes slixmpp decoded are the file's. Before, bob read an empty vCard.
func TestSlixmppVCard(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) { c.Chat.AutoRoster = true }})
	file, photo := randomFile(t, "photo.png", 20<<10)
	sum := sha1.Sum(photo)
	r := runAliceBob(t, j, "slixmpp_vcard.py", "--photo", file)
	type ev struct {
		FN, Type, Photo, Hash string
		VCard                 bool
	}
	got := scenarioEvents[ev](t, r, "vCard")
	if !got["disco/alice/"].VCard {
		t.Errorf("slixmpp's disco#info of the server has no vcard-temp")
	}
	if e := got["vcard/bob/before"]; e.FN != "" || e.Photo != "" {
		t.Errorf("before the set bob read %+v, want an empty vCard", e)
	}
	if h := got["avatar/bob/"].Hash; h != hex.EncodeToString(sum[:]) {
		t.Errorf("bob's xep_0153 read the photo hash %q in alice's presence, want %x", h, sum)
	}
	want := base64.StdEncoding.EncodeToString(photo)
	for _, k := range []string{"vcard/bob/after", "vcard/alice/own"} {
		e := got[k]
		if e.FN != "Alice Interop" || e.Photo != want {
			t.Errorf("%s: FN %q, photo of %d base64 bytes equal to the file's: %v", k, e.FN, len(e.Photo), e.Photo == want)
		}
	}
	if got["vcard/bob/after"].Type != "image/png" {
		t.Errorf("photo type %q", got["vcard/bob/after"].Type)
	}
	if v, _ := j.set.Store.VCard("alice"); v == nil {
		t.Errorf("store: no vCard for alice")
	}
}
