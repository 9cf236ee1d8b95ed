package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"jabberd/config"
	"jabberd/stream"
)

// TestSlowReaderDoesNotBlockSenders: a client that stops reading does not
// hold up those who write to it (deliveries are queued, the sender's
// goroutine never waits on its socket); past the queue bound it is
// disconnected, and every message it did not get is in offline storage, in
// order.
//
// Alice writes to bob in batches of 1 MB, each followed by a ping, until
// bob is cut: as much as his socket buffers and his queue hold, just past
// the bound, and each pong is behind 1 MB to parse, not the whole volume
// (20 MB ahead of one ping under -race missed its deadline on a loaded
// machine), and its deadline is a minute: what shows that alice was not
// held is the order, not a clock:
// a sender that wrote on bob's socket itself would wait there until the
// write timeout cut bob for a write that timed out; here bob is cut for
// his queue, and no write of his timed out.
func TestSlowReaderDoesNotBlockSenders(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.OfflineQuota = 0 }) // no limit: count them all
	bob := h.login(t, "bob", "b")
	alice := h.login(t, "alice", "a")
	// bob reads nothing from here on.
	const batch, most = 10, 300 // 1 MB a batch; 30 MB is far past any loopback buffers
	body := strings.Repeat("x", 100_000)
	n := 0
	for h.set.Server.ConnCount() > 1 {
		if n >= most {
			t.Fatalf("alice sent bob %d messages he did not read, and he was never cut:\n%s", n, h.logs.text())
		}
		for range batch {
			alice.send(fmt.Sprintf("<message to='bob@localhost/b' type='chat' id='m%d'><body>%s</body></message>", n, body))
			n++
		}
		patientPing(t, alice) // answered while bob's socket is full
	}
	bobs := map[string]string{"remote": bob.remote}
	if len(h.logs.all(t, match{msg: "the client does not read fast enough; closing", fields: bobs})) == 0 {
		t.Fatalf("bob's connection was not cut for not reading:\n%s", h.logs.text())
	}
	// The write in progress when he was cut fails on the closed socket;
	// none may have failed for its deadline.
	for _, e := range h.logs.all(t, match{msg: "write failed; closing", fields: bobs}) {
		if strings.Contains(e.Str("error"), "timeout") {
			t.Fatalf("a write to bob timed out: something waited on his socket (%s):\n%s", e.Str("error"), h.logs.text())
		}
	}
	// Now read what reached bob's socket before the server gave up.
	els, _ := bob.drain(nil)
	received := 0
	for _, el := range els {
		if el.Tag == "message" {
			received++
		}
	}
	stored, err := h.set.Store.TakeOffline("bob")
	if err != nil {
		t.Fatal(err)
	}
	if received+len(stored) < n {
		t.Fatalf("bob received %d and %d are stored: %d of %d messages lost", received, len(stored), n-received-len(stored), n)
	}
	for i, m := range stored { // the stored ones are the last, in order
		if want := fmt.Sprintf("id='m%d'", n-len(stored)+i); !strings.Contains(string(m.Stanza), want) {
			t.Fatalf("stored message %d is not %s: %.80s", i, want, m.Stanza)
		}
	}
	t.Logf("bob was cut after %d messages from alice: %d reached his socket, %d are stored", n, received, len(stored))
	if len(stored) == 0 {
		t.Fatalf("nothing stored: was bob ever over the queue bound? received %d", received)
	}
}

// patientPing pings the server for c and waits up to a minute for the
// answer, the very next stanza: long enough for the server to parse and
// store what c sent before on a loaded machine.
func patientPing(t *testing.T, c *chatClient) {
	t.Helper()
	id := c.id("ping")
	c.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	_ = c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	ev, err := c.r.Next()
	if err != nil || ev.Kind != stream.KindElement {
		t.Fatalf("%s: waiting for the answer to %s: %v %v", c.user, id, ev.Kind, err)
	}
	want := "<iq id='" + id + "' type='result' from='localhost' to='" + c.jid + "'/>"
	if got := string(stream.Marshal(ev.Element)); got != want {
		t.Fatalf("%s: ping answered with %s, want %s", c.user, got, want)
	}
}
