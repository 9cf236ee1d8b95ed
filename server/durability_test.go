package server_test

// Nothing the server accepted is lost: messages streamed while the server
// shuts down, or while the recipient's connection goes away, end up either
// in the recipient's client or in its offline storage; and the store keeps
// rosters and offline messages across a restart on the same state directory.

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/store"
	"jabberd/stream"
)

// chatMsg is the i-th message of a burst from alice to bob's bare JID.
func chatMsg(i int) string {
	return fmt.Sprintf("<message to='bob@localhost' type='chat' id='m-%03d'><body>%d</body></message>", i, i)
}

var msgIDRe = regexp.MustCompile(`^<message [^>]*id='(m-\d{3})'`)

// acceptedIDs are the ids of the messages the server read from c's stream,
// in order, from its debug log ("received" entries).
func (h *harness) acceptedIDs(t testing.TB, c *chatClient) []string {
	t.Helper()
	var ids []string
	for _, e := range h.logs.all(t, h.chatMatch(c, "received")) {
		if m := msgIDRe.FindStringSubmatch(e.Str("in")); m != nil {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// messageIDs are the ids of the burst messages among els, in order; every
// one must be the message alice sent, untouched but for the stamped from.
func messageIDs(t testing.TB, who string, els []*etree.Element) []string {
	t.Helper()
	var ids []string
	for _, el := range els {
		if el.Tag != "message" {
			continue
		}
		id := el.SelectAttrValue("id", "")
		var i int
		if _, err := fmt.Sscanf(id, "m-%03d", &i); err != nil {
			t.Errorf("%s: unexpected message %s", who, stream.Marshal(el))
			continue
		}
		want := strings.Replace(chatMsg(i), "'>", "' from='alice@localhost/a'>", 1)
		if got := sidRe.ReplaceAllString(string(stream.Marshal(el)), ""); got != want {
			t.Errorf("%s: message %s is\n  %s\nwant\n  %s", who, id, got, want)
		}
		ids = append(ids, id)
	}
	return ids
}

// storedIDs parses offline records of the burst (they carry no delay stamp:
// that is added on delivery).
func storedIDs(t testing.TB, msgs []store.Offline) []string {
	t.Helper()
	var els []*etree.Element
	for _, m := range msgs {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(m.Stanza); err != nil || doc.Root() == nil {
			t.Errorf("offline record is not a stanza: %q (%v)", m.Stanza, err)
			continue
		}
		els = append(els, doc.Root())
	}
	return messageIDs(t, "offline store", els)
}

// checkPartition asserts received and stored split accepted exactly: no
// message lost, none duplicated, each side in sending order.
func checkPartition(t *testing.T, accepted, received, stored []string) {
	t.Helper()
	for name, ids := range map[string][]string{"accepted": accepted, "received": received, "stored": stored} {
		if !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != len(ids) {
			t.Errorf("%s ids are not in sending order without duplicates: %v", name, ids)
		}
	}
	all := slices.Concat(received, stored)
	slices.Sort(all)
	if !slices.Equal(all, accepted) {
		t.Errorf("received (%d) + stored (%d) != accepted (%d)\nreceived: %v\nstored:   %v\naccepted: %v",
			len(received), len(stored), len(accepted), received, stored, accepted)
	}
}

type drained struct {
	els []*etree.Element
	end string
}

// TestShutdownLosesNoMessage: alice streams messages to bob while the
// server shuts down. Every message the server read is either in bob's
// client (written before his stream ended) or in his offline storage,
// which survives closing and reopening the store, and in his archive
// exactly once (Shutdown drains the archive's queue).
func TestShutdownLosesNoMessage(t *testing.T) {
	const n = 200
	h := start(t, func(c *config.Config) { c.Chat.OfflineQuota = 0 })
	bob := h.login(t, "bob", "b")
	bob.available("")
	alice := h.login(t, "alice", "a")

	// Shutdown starts when bob has received 50 messages: alice is still
	// writing, or the server still has her messages to read and route.
	half := make(chan struct{})
	bobDone := make(chan drained, 1)
	go func() {
		count := 0
		els, end := bob.drain(func(el *etree.Element) bool {
			if count++; count == 50 {
				close(half)
			}
			return true
		})
		bobDone <- drained{els, end}
	}()
	aliceDone := make(chan drained, 1)
	go func() { els, end := alice.drain(nil); aliceDone <- drained{els, end} }()

	writtenCh := make(chan int, 1)
	go func() {
		written := 0
		defer func() { writtenCh <- written }()
		for i := range n {
			if err := alice.write(chatMsg(i)); err != nil {
				break
			}
			written++
		}
	}()

	select {
	case <-half:
	case b := <-bobDone:
		t.Fatalf("bob's stream ended (%s) before 50 messages arrived: %d stanzas", b.end, len(b.els))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*ioTimeout)
	defer cancel()
	if err := h.shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	written := <-writtenCh
	b, a := <-bobDone, <-aliceDone

	// Both streams ended with system-shutdown and the closing tag.
	shutdownErr := "<stream:error xmlns:stream='http://etherx.jabber.org/streams'><system-shutdown xmlns='" + nsStreams + "'/>" +
		"<text xmlns='" + nsStreams + "' xml:lang='en'>the server is shutting down</text></stream:error>"
	for who, d := range map[string]drained{"bob": b, "alice": a} {
		if d.end != "close" || len(d.els) == 0 || string(stream.Marshal(d.els[len(d.els)-1])) != shutdownErr {
			last := ""
			if len(d.els) > 0 {
				last = string(stream.Marshal(d.els[len(d.els)-1]))
			}
			t.Errorf("%s's stream ended with %q after %s; want the system-shutdown error and </stream:stream>", who, d.end, last)
		}
	}
	if len(a.els) != 1 {
		t.Errorf("alice received %d stanzas, want only the stream error (no bounce): %v", len(a.els), a.els)
	}

	// As main does: close the store after Shutdown, then open it again.
	if err := h.set.Store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	db, err := store.Open(store.Path(h.cfg.StateDir))
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	defer db.Close()
	offline, err := db.TakeOffline("bob")
	if err != nil {
		t.Fatalf("TakeOffline: %v", err)
	}

	accepted := h.acceptedIDs(t, alice)
	received := messageIDs(t, "bob", b.els)
	stored := storedIDs(t, offline)
	t.Logf("written %d, accepted %d, received %d, stored %d", written, len(accepted), len(received), len(stored))
	if len(accepted) > written {
		t.Errorf("the server logged %d messages from alice, she wrote %d", len(accepted), written)
	}
	for i, id := range accepted {
		if want := fmt.Sprintf("m-%03d", i); id != want {
			t.Fatalf("accepted[%d] = %s, want %s: the server read alice's messages out of order", i, id, want)
		}
	}
	checkPartition(t, accepted, received, stored)
	// The archive's queue was drained by Shutdown, before the store closed.
	h.checkArchived(t, db, "bob@localhost", accepted, nil)
}

// burstWhileBobLeaves streams n messages from alice to bob's bare JID; bob's
// reader calls leave after the 50th and goes on reading only if it returns
// true. When the burst has been routed and bob's connection is gone, alice
// sends after more messages, which must all be stored; every accepted
// message is in bob's archive exactly once. It returns the
// accepted, received and stored ids, and the ids sent after bob was gone.
func burstWhileBobLeaves(t *testing.T, n, after int, leave func(bob *chatClient) (keepReading bool)) (h *harness, accepted, received, stored, late []string) {
	h = start(t, func(c *config.Config) { c.Chat.OfflineQuota = 0 })
	bob := h.login(t, "bob", "b")
	bob.available("")
	alice := h.login(t, "alice", "a")

	bobDone := make(chan drained, 1)
	go func() {
		count := 0
		els, end := bob.drain(func(el *etree.Element) bool {
			if el.Tag != "message" {
				return true
			}
			if count++; count == 50 {
				return leave(bob)
			}
			return true
		})
		bobDone <- drained{els, end}
	}()

	// alice's burst, then a ping: its answer means every message was routed.
	writeErr := make(chan error, 1)
	go func() {
		for i := range n {
			if err := alice.write(chatMsg(i)); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- alice.write("<iq type='get' id='burst-done' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	}()
	alice.expect("<iq id='burst-done' type='result' from='localhost' to='alice@localhost/a'/>")
	if err := <-writeErr; err != nil {
		t.Fatalf("alice: %v", err)
	}
	b := <-bobDone
	h.waitConnCount(t, 1) // bob's connection is gone, alice's remains
	if s := h.set.Server.Router().Lookup("bob@localhost/b"); s != nil {
		t.Fatalf("bob is still bound after his connection ended")
	}
	for i := n; i < n+after; i++ {
		alice.send(chatMsg(i))
		late = append(late, fmt.Sprintf("m-%03d", i))
	}
	alice.ping() // nothing bounced: every message was taken

	offline, err := h.set.Store.TakeOffline("bob")
	if err != nil {
		t.Fatalf("TakeOffline: %v", err)
	}
	accepted = h.acceptedIDs(t, alice)
	if len(accepted) != n+after {
		t.Fatalf("the server logged %d messages from alice, want %d", len(accepted), n+after)
	}
	received = messageIDs(t, "bob", b.els)
	stored = storedIDs(t, offline)
	t.Logf("accepted %d, received %d, stored %d (bob's stream ended: %s)", len(accepted), len(received), len(stored), b.end)
	for _, id := range late {
		if !slices.Contains(stored, id) {
			t.Errorf("%s, sent after bob's connection was gone, is not in his offline store", id)
		}
	}
	h.checkArchived(t, h.set.Store, "bob@localhost", accepted, nil)
	return h, accepted, received, stored, late
}

// TestRecipientDisconnectLosesNoMessage: bob's client shuts its side of the
// TCP connection (a FIN, no </stream:stream>) in the middle of a burst and
// reads on until the server closes. Every message is either read by bob or
// stored for him.
func TestRecipientDisconnectLosesNoMessage(t *testing.T) {
	_, accepted, received, stored, _ := burstWhileBobLeaves(t, 200, 10, func(bob *chatClient) bool {
		_ = bob.tcp.(*net.TCPConn).CloseWrite()
		return true
	})
	checkPartition(t, accepted, received, stored)
}

// TestRecipientKilledLosesNothingAfterDetection: bob's client closes its TCP
// connection outright in the middle of a burst, with messages still on the
// way. What the server wrote into the dead socket before it could know is
// gone (plain XMPP has no acknowledgements; XEP-0198 is not implemented),
// but only that: bob read a prefix of the burst, the store holds the whole
// rest from the first message whose write failed or that found him gone,
// and nothing is duplicated or reordered.
func TestRecipientKilledLosesNothingAfterDetection(t *testing.T) {
	_, accepted, received, stored, _ := burstWhileBobLeaves(t, 200, 10, func(bob *chatClient) bool {
		bob.tcp.Close()
		return false
	})
	if !slices.Equal(received, accepted[:len(received)]) || len(received) != 50 {
		t.Errorf("bob read %v, want the first 50 messages", received)
	}
	if len(stored) == 0 || !slices.Equal(stored, accepted[len(accepted)-len(stored):]) {
		t.Errorf("stored %v is not a suffix of the accepted messages %v", stored, accepted)
	}
	checkPartitionDisjoint(t, received, stored)
	lost := len(accepted) - len(received) - len(stored)
	t.Logf("written to bob's connection but never read by his client (in flight when it closed): %d", lost)
	if lost < 0 {
		t.Errorf("received + stored exceed accepted: duplicates")
	}
}

func checkPartitionDisjoint(t *testing.T, a, b []string) {
	t.Helper()
	for _, id := range a {
		if slices.Contains(b, id) {
			t.Errorf("%s was both received and stored", id)
		}
	}
}

// TestStoreReopenKeepsEverything: rosters (with versions and pending
// requests) and offline messages survive Shutdown, Close and a new server on
// the same state directory.
func TestStoreReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	sameDir := func(c *config.Config) { c.StateDir = dir }

	h1 := start(t, sameDir)
	bob := h1.login(t, "bob", "b")
	bob.rosterGet("")
	bob.send("<iq type='set' id='set1'><query xmlns='jabber:iq:roster'><item jid='alice@localhost' name='Alice'><group>Lab</group></item></query></iq>")
	bob.expectSet("<iq id='push-1-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='1'><item jid='alice@localhost' name='Alice' subscription='none'><group>Lab</group></item></query></iq>",
		"<iq id='set1' type='result' to='bob@localhost/b'/>")
	bob.send("<presence to='alice@localhost' type='subscribe'/>")
	bob.expect("<iq id='push-2-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='2'><item jid='alice@localhost' name='Alice' subscription='none' ask='subscribe'><group>Lab</group></item></query></iq>")
	bob.send("<message to='alice@localhost' type='chat' id='o1'><body>first</body></message>")
	bob.send("<message to='alice@localhost' id='o2'><subject>s</subject><body>second &amp; last</body></message>")
	bob.ping()
	if n, _ := h1.set.Store.CountOffline("alice"); n != 2 {
		t.Fatalf("store: %d offline messages for alice, want 2", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*ioTimeout)
	defer cancel()
	if err := h1.shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := h1.set.Store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	h2 := start(t, sameDir)
	bob2 := h2.login(t, "bob", "b")
	bob2.available("") // no probe answer: bob is not subscribed to anyone yet
	q, _ := bob2.rosterGet("")
	const wantRoster = "<query xmlns='jabber:iq:roster' ver='2'><item jid='alice@localhost' name='Alice' subscription='none' ask='subscribe'><group>Lab</group></item></query>"
	if got := string(stream.Marshal(q)); got != wantRoster {
		t.Errorf("bob's roster after the restart:\n  %s\nwant\n  %s", got, wantRoster)
	}
	bob2.send("<iq type='get' id='v2'><query xmlns='jabber:iq:roster' ver='2'/></iq>")
	bob2.expect("<iq id='v2' type='result' to='bob@localhost/b'/>") // the version survived too

	alice := h2.login(t, "alice", "a")
	alice.ping() // nothing before initial presence
	alice.available("")
	// The pending request, as stored (addressed to the bare JID, or to this
	// session like live presence copies: both are correct).
	alice.expect("<presence from='bob@localhost' to='alice@localhost{*}' type='subscribe'/>")
	alice.expect("<message to='alice@localhost' type='chat' id='o1' from='bob@localhost/b'><body>first</body>" +
		"<delay xmlns='urn:xmpp:delay' from='localhost' stamp='{*}'>Offline Storage</delay></message>")
	alice.expect("<message to='alice@localhost' id='o2' from='bob@localhost/b'><subject>s</subject><body>second &amp; last</body>" +
		"<delay xmlns='urn:xmpp:delay' from='localhost' stamp='{*}'>Offline Storage</delay></message>")
	alice.ping()
	if n, _ := h2.set.Store.CountOffline("alice"); n != 0 {
		t.Errorf("store: %d offline messages for alice after delivery, want 0", n)
	}

	// bob was not told alice came online: he is not subscribed yet. She
	// approves now: his roster says to, and her presence reaches him.
	bob2.ping()
	alice.send("<presence to='bob@localhost' type='subscribed'/>")
	bob2.ackPush(bob2.expect("<iq id='push-3-0' type='set' to='bob@localhost/b'><query xmlns='jabber:iq:roster' ver='3'><item jid='alice@localhost' name='Alice' subscription='to'><group>Lab</group></item></query></iq>"))
	bob2.expect("<presence from='alice@localhost' to='bob@localhost/b' type='subscribed'/>")
	bob2.expect("<presence from='alice@localhost/a' to='bob@localhost/b'/>")
	it, ok, err := h2.set.Store.RosterItem("bob", "alice@localhost")
	if err != nil || !ok || it.Subscription != store.SubTo || it.Ask || it.Name != "Alice" {
		t.Errorf("store: bob's item for alice after approval: %+v %v %v", it, ok, err)
	}
}
