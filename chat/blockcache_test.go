package chat

import (
	"sync/atomic"
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/store"
)

// countingData is the store, counting the blocklist reads.
type countingData struct {
	*store.DB
	reads atomic.Int32
}

func (d *countingData) Blocklist(owner string) ([]string, error) {
	d.reads.Add(1)
	return d.DB.Blocklist(owner)
}

// TestBlocklistCache: messages between two accounts read each blocklist
// once, not once per message; a block is in force at once (its list is
// put in memory when committed); the cache is bounded (an evicted
// account is read again); Forget drops an account's list.
func TestBlocklistCache(t *testing.T) {
	db, err := store.Open(store.Path(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, n := range []string{"alice", "bob", "carol"} {
		if err := db.PutAccount(&accounts.Account{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	d := &countingData{DB: db}
	r := NewRouter("example.com", d, Options{BlocklistCache: 2}, zerolog.Nop())
	alice, bob := nopSession("alice@example.com/a"), nopSession("bob@example.com/b")
	r.Bind(alice)
	r.Bind(bob)
	msg := func(from Session, to string) {
		el := etree.NewElement("message")
		el.CreateAttr("from", from.JID())
		el.CreateAttr("to", to)
		el.CreateAttr("type", "chat")
		el.CreateElement("body").SetText("hi")
		r.Route(from, el)
	}
	for range 10 {
		msg(alice, "bob@example.com/b")
	}
	if n := d.reads.Load(); n != 2 {
		t.Errorf("10 messages read the blocklists %d times, want 2 (one per account)", n)
	}
	block := etree.NewElement("iq")
	block.CreateAttr("type", "set")
	block.CreateAttr("id", "b1")
	block.CreateAttr("from", bob.JID())
	block.CreateElement("block").CreateAttr("xmlns", NSBlocking)
	block.SelectElement("block").CreateElement("item").CreateAttr("jid", "alice@example.com")
	r.Route(bob, block)
	if !r.blocks("bob", "alice@example.com/a") {
		t.Fatalf("bob's block of alice is not in force")
	}
	reads := d.reads.Load()
	// Carol's list evicts alice's (used least recently: bob's was just
	// changed), which is then read again.
	msg(alice, "carol@example.com")
	if d.reads.Load() != reads+2 {
		t.Errorf("a message to carol read %d blocklists, want 2 (hers, and alice's evicted by it)", d.reads.Load()-reads)
	}
	r.Forget("bob@example.com")
	if _, ok := r.blockLists.lists.Peek("bob"); ok {
		t.Errorf("bob's list is still in memory after Forget")
	}
	if !r.blocks("bob", "alice@example.com") {
		t.Errorf("after Forget, bob's block (read from the store again) is not in force")
	}
}
