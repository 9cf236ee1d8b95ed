package store

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestRosterVersionBumpsOnlyOnChange(t *testing.T) {
	db, _ := openT(t)
	if items, ver, err := db.Roster("alice"); err != nil || items != nil || ver != 0 {
		t.Fatalf("empty roster: %v at %d, %v", items, ver, err)
	}

	step := func(what string, jid string, fn func(RosterItem, bool) (RosterItem, bool), wantVer uint64) RosterItem {
		t.Helper()
		it, _, ver, err := db.UpdateRosterItem("alice", jid, fn)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ver != wantVer {
			t.Errorf("%s: version %d, want %d", what, ver, wantVer)
		}
		if _, stored, _ := db.Roster("alice"); stored != wantVer {
			t.Errorf("%s: stored version %d, want %d", what, stored, wantVer)
		}
		return it
	}
	set := func(it RosterItem) func(RosterItem, bool) (RosterItem, bool) {
		return func(RosterItem, bool) (RosterItem, bool) { return it, true }
	}
	remove := func(RosterItem, bool) (RosterItem, bool) { return RosterItem{}, false }

	it := step("add bob", "bob@example.org", set(RosterItem{Name: "Bob", Groups: []string{"work", "", "friends", "work"}}), 1)
	if it.JID != "bob@example.org" || it.Subscription != SubNone || !slices.Equal(it.Groups, []string{"friends", "work"}) {
		t.Errorf("stored item not normalized: %+v", it)
	}
	step("same item again", "bob@example.org", set(RosterItem{Name: "Bob", Subscription: SubNone, Groups: []string{"friends", "work"}}), 1)
	step("same groups in another order", "bob@example.org", set(RosterItem{Name: "Bob", Groups: []string{"work", "friends"}}), 1)
	step("identity function", "bob@example.org", func(it RosterItem, found bool) (RosterItem, bool) {
		if !found || it.Name != "Bob" {
			t.Errorf("fn got %+v, found=%v", it, found)
		}
		return it, true
	}, 1)
	step("rename bob", "bob@example.org", set(RosterItem{Name: "Robert"}), 2)
	step("add carol", "carol@example.org", set(RosterItem{Subscription: SubTo, Ask: true}), 3)
	step("add an earlier JID", "aaron@example.org", set(RosterItem{Subscription: SubFrom}), 4)

	items, ver, err := db.Roster("alice")
	if err != nil || ver != 4 {
		t.Fatalf("roster at %d, %v", ver, err)
	}
	var jids []string
	for _, it := range items {
		jids = append(jids, it.JID)
	}
	if want := []string{"aaron@example.org", "bob@example.org", "carol@example.org"}; !slices.Equal(jids, want) {
		t.Errorf("roster order %v, want %v", jids, want)
	}

	step("remove bob", "bob@example.org", remove, 5)
	step("remove bob again", "bob@example.org", remove, 5)
	step("remove someone never there", "zed@example.org", func(it RosterItem, found bool) (RosterItem, bool) {
		if found {
			t.Error("fn was told an absent item was found")
		}
		return it, false
	}, 5)
	step("remove aaron", "aaron@example.org", remove, 6)
	step("remove carol", "carol@example.org", remove, 7)

	// An emptied roster keeps counting: version 7 is never reused.
	if items, ver, _ := db.Roster("alice"); len(items) != 0 || ver != 7 {
		t.Errorf("emptied roster: %v at %d, want none at 7", items, ver)
	}
	step("add bob back", "bob@example.org", set(RosterItem{Name: "Bob"}), 8)

	// Other owners have their own versions.
	if _, ver, _ := db.Roster("bob"); ver != 0 {
		t.Errorf("bob's version %d, want 0", ver)
	}
}

func TestRosterItemRoundTrip(t *testing.T) {
	db, path := openT(t)
	stanza := []byte("<presence from='mallory@example.org/x' to='alice@localhost' type='subscribe'><status>hi &amp; bye</status></presence>")
	want := RosterItem{
		JID:             "mallory@example.org",
		Name:            "Mallory ☃",
		Subscription:    SubFrom,
		Ask:             true,
		Groups:          []string{"a", "b"},
		PendingIn:       true,
		PendingInStanza: stanza,
		Hidden:          true,
	}
	put(t, db, "alice", want.JID, want)
	db.Close()

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, found, err := db.RosterItem("alice", want.JID)
	if err != nil || !found {
		t.Fatalf("RosterItem: found=%v, %v", found, err)
	}
	if got.JID != want.JID || got.Name != want.Name || got.Subscription != want.Subscription || got.Ask != want.Ask ||
		!slices.Equal(got.Groups, want.Groups) || got.PendingIn != want.PendingIn ||
		!bytes.Equal(got.PendingInStanza, want.PendingInStanza) || got.Hidden != want.Hidden {
		t.Errorf("after reopen:\n got %+v\nwant %+v", got, want)
	}
	if _, found, err := db.RosterItem("alice", "nobody@example.org"); found || err != nil {
		t.Errorf("absent item: found=%v, %v", found, err)
	}
	if _, found, err := db.RosterItem("nobody", want.JID); found || err != nil {
		t.Errorf("absent owner: found=%v, %v", found, err)
	}

	// Answering the request clears the stored stanza with the flag, even
	// if fn forgets it.
	it, _, _, err := db.UpdateRosterItem("alice", want.JID, func(it RosterItem, _ bool) (RosterItem, bool) {
		it.PendingIn = false
		return it, true
	})
	if err != nil || it.PendingInStanza != nil {
		t.Errorf("answered request still carries its stanza: %q, %v", it.PendingInStanza, err)
	}
}

func TestUpdateRosterItemRefusals(t *testing.T) {
	db, _ := openT(t)
	put(t, db, "alice", "bob@example.org", RosterItem{Subscription: SubBoth})

	for _, tc := range []struct {
		owner, jid string
		sub        Subscription
		want       string
	}{
		{"alice", "bob@example.org", SubRemove, `"remove" is a removal`},
		{"alice", "bob@example.org", "sideways", `"sideways" is not a subscription state`},
		{"", "bob@example.org", SubNone, "empty account name"},
		{"alice", "", SubNone, "empty contact JID"},
	} {
		_, _, _, err := db.UpdateRosterItem(tc.owner, tc.jid, func(it RosterItem, _ bool) (RosterItem, bool) {
			it.Subscription = tc.sub
			it.Name = "changed"
			return it, true
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q/%q with %q: %v, want an error saying %s", tc.owner, tc.jid, tc.sub, err, tc.want)
		}
	}
	// Nothing was written by the refused updates.
	it, _, _ := db.RosterItem("alice", "bob@example.org")
	if _, ver, _ := db.Roster("alice"); ver != 1 || it.Name != "" || it.Subscription != SubBoth {
		t.Errorf("after refusals: version %d, item %+v", ver, it)
	}
	// A removal may carry "remove": it is not stored.
	_, kept, ver, err := db.UpdateRosterItem("alice", "bob@example.org", func(it RosterItem, _ bool) (RosterItem, bool) {
		it.Subscription = SubRemove
		return it, false
	})
	if err != nil || kept || ver != 2 {
		t.Errorf("removal with subscription remove: kept=%v version %d, %v", kept, ver, err)
	}
}

// TestForgetContact: a deleted account's JID leaves every roster, and each
// changed roster's version moves on; others are untouched.
func TestForgetContact(t *testing.T) {
	db, _ := openT(t)
	add := func(owner, jid string) uint64 {
		_, _, v, err := db.UpdateRosterItem(owner, jid, func(RosterItem, bool) (RosterItem, bool) {
			return RosterItem{Subscription: SubBoth}, true
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	bobVer := add("bob", "alice@d")
	add("bob", "carol@d")
	carolVer := add("carol", "dave@d")
	if err := db.ForgetContact("alice@d"); err != nil {
		t.Fatal(err)
	}
	items, v, err := db.Roster("bob")
	if err != nil || len(items) != 1 || items[0].JID != "carol@d" || v != bobVer+2 {
		t.Fatalf("bob's roster %+v version %d (had %d before carol), %v", items, v, bobVer, err)
	}
	if items, v, _ := db.Roster("carol"); len(items) != 1 || v != carolVer {
		t.Fatalf("carol's roster changed: %+v version %d", items, v)
	}
}
