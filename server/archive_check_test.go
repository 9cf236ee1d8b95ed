package server_test

import (
	"testing"

	"github.com/beevik/etree"

	"jabberd/mam"
	"jabberd/store"
)

// sidOf returns the XEP-0359 stanza-id by the archive of by on el ("" for
// none).
func sidOf(el *etree.Element, by string) string {
	for _, c := range el.SelectElements("stanza-id") {
		if c.NamespaceURI() == "urn:xmpp:sid:0" && c.SelectAttrValue("by", "") == by {
			return c.SelectAttrValue("id", "")
		}
	}
	return ""
}

// archivedIDs reads owner's archive from the store once the archive's
// queue is committed: message id attribute → the archive IDs it is under.
func (h *harness) archivedIDs(t testing.TB, db *store.DB, owner string) map[string][]string {
	t.Helper()
	if h.set.Archive != nil {
		h.set.Archive.Flush()
	}
	page, err := db.QueryArchive(owner, store.ArchiveQuery{Max: 1 << 20})
	if err != nil {
		t.Fatalf("archive of %s: %v", owner, err)
	}
	out := map[string][]string{}
	for _, e := range page.Entries {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(e.Stanza); err != nil || doc.Root() == nil {
			t.Fatalf("archive of %s: entry %d is not a stanza: %q", owner, e.ID, e.Stanza)
		}
		id := doc.Root().SelectAttrValue("id", "")
		out[id] = append(out[id], mam.FormatID(e.ID))
	}
	return out
}

// checkArchived: every message of want is in owner's archive exactly once,
// and nothing else; where seen has the stanza-id a message arrived with
// (live, on resumption, from offline storage), the archive has it under
// that ID.
func (h *harness) checkArchived(t testing.TB, db *store.DB, owner string, want []string, seen map[string]string) {
	t.Helper()
	got := h.archivedIDs(t, db, owner)
	for _, id := range want {
		ids := got[id]
		switch {
		case len(ids) != 1:
			t.Errorf("%s is in %s's archive %d times (%v), want once", id, owner, len(ids), ids)
		case seen[id] != "" && seen[id] != ids[0]:
			t.Errorf("%s arrived with stanza-id %s but is archived as %s", id, seen[id], ids[0])
		}
		delete(got, id)
	}
	if len(got) > 0 {
		t.Errorf("%s's archive holds messages that were not sent: %v", owner, got)
	}
}
