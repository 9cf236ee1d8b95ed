package interop

// PEP (XEP-0163) with slixmpp's plugins: avatars (XEP-0084), nickname
// (XEP-0172), an OMEMO device list (XEP-0384's node through xep_0060),
// bookmarks through PEP (XEP-0048 over XEP-0223) read back as XEP-0402
// and from private storage (testdata/slixmpp_pep.py).

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"jabberd/config"
)

// TestSlixmppPEP: bob's slixmpp is notified of alice's avatar metadata,
// nickname and OMEMO device list (his caps list them +notify); the avatar
// bytes he fetches are the file's; her bookmarks are closed to him; her
// XEP-0048 bookmarks published through PEP are XEP-0402 items and in her
// private storage; a second client of bob's gets the last items at login.
func TestSlixmppPEP(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	j := startJabberd(t, serverOptions{configure: func(c *config.Config) { c.Chat.AutoRoster = true }})
	file, avatar := randomFile(t, "avatar.png", 30<<10)
	sum := sha1.Sum(avatar)
	r := runAliceBob(t, j, "slixmpp_pep.py", "--avatar", file)
	type conf struct{ JID, Name, Nick, XML string }
	type ev struct {
		Identities                  [][]string
		Publish                     bool
		Nodes, Devices              []string
		AvatarID, Nick, Data, Error string
		AvatarBytes                 int
		Items, Conferences          []conf
	}
	got := scenarioEvents[ev](t, r, "PEP")
	ids := got["disco/alice/"].Identities
	slices.SortFunc(ids, func(a, b []string) int { return strings.Compare(strings.Join(a, "/"), strings.Join(b, "/")) })
	if e := got["disco/alice/"]; !e.Publish || !reflect.DeepEqual(ids, [][]string{{"account", "registered"}, {"pubsub", "pep"}}) {
		t.Errorf("slixmpp's disco#info of alice's account: %+v", e)
	}
	n := got["notified/bob/"]
	wantNodes := []string{"eu.siacs.conversations.axolotl.devicelist", "http://jabber.org/protocol/nick", "urn:xmpp:avatar:metadata"}
	if !reflect.DeepEqual(n.Nodes, wantNodes) || n.AvatarID != hex.EncodeToString(sum[:]) || n.AvatarBytes != len(avatar) ||
		n.Nick != "Alice of PEP" || !reflect.DeepEqual(n.Devices, []string{"4242", "77"}) {
		t.Errorf("bob's notifications: %+v\nwant nodes %q, avatar %x of %d bytes, nick, devices 4242 and 77", n, wantNodes, sum, len(avatar))
	}
	if d := got["avatar/bob/"].Data; d != base64.StdEncoding.EncodeToString(avatar) {
		t.Errorf("the avatar bob fetched is %d base64 bytes, not the file's", len(d))
	}
	if e := got["bookmarks/bob/"].Error; e != "not-allowed" {
		t.Errorf("bob reading alice's bookmarks: %q, want not-allowed", e)
	}
	items := got["bookmarks402/alice/"].Items
	if len(items) != 1 || items[0].JID != "lab@conference.localhost" || !strings.Contains(items[0].XML, `name="The Lab"`) ||
		!strings.Contains(items[0].XML, `autojoin="true"`) || !strings.Contains(items[0].XML, "nick>alice</") {
		t.Errorf("alice's XEP-0402 bookmarks: %+v", items)
	}
	if c := got["private/alice/"].Conferences; !reflect.DeepEqual(c, []conf{{JID: "lab@conference.localhost", Name: "The Lab", Nick: "alice"}}) {
		t.Errorf("alice's bookmarks in private storage: %+v", c)
	}
	// slixmpp's caps hash verified: the server asked once per client
	// version (alice's and bob's), and bob's second client not at all.
	if bad := j.entries(fields{"message": "a client's disco#info does not match its caps hash: kept for it alone"}); len(bad) > 0 {
		t.Errorf("slixmpp's caps did not verify: %v", bad)
	}
	if l := got["last/bob2/"]; !reflect.DeepEqual(l.Nodes, wantNodes) || l.AvatarID != hex.EncodeToString(sum[:]) {
		t.Errorf("bob's second client at login: %+v", l)
	}
}
