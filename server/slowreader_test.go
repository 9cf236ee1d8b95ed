package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"jabberd/config"
)

// TestSlowReaderDoesNotBlockSenders: a client that stops reading does not
// hold up those who write to it (deliveries are queued, the sender's
// goroutine never waits on its socket); past the queue bound it is
// disconnected, and every message it did not get is in offline storage, in
// order.
func TestSlowReaderDoesNotBlockSenders(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.OfflineQuota = 0 }) // no limit: count them all
	bob := h.login(t, "bob", "b")
	alice := h.login(t, "alice", "a")
	// bob reads nothing from here on.
	const n = 200 // 20 MB: more than loopback socket buffers hold
	body := strings.Repeat("x", 100_000)
	for i := 0; i < n; i++ {
		alice.send(fmt.Sprintf("<message to='bob@localhost/b' type='chat' id='m%d'><body>%s</body></message>", i, body))
	}
	// Not a timing test: a sender blocked on bob's socket would wait out
	// the 10 s write timeout, so anything well short of it says alice was
	// not held (a loaded machine makes 2 s too tight).
	t0 := time.Now()
	alice.ping()
	if d := time.Since(t0); d > 7*time.Second {
		t.Fatalf("alice's ping took %v while bob was not reading", d)
	}
	deadline := time.Now().Add(20 * time.Second)
	for h.set.Server.ConnCount() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("bob's connection still open after 20 s:\n%s", h.logs.text())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(h.logs.all(t, match{msg: "the client does not read fast enough; closing", fields: map[string]string{"remote": bob.remote}})) == 0 {
		t.Fatalf("bob's connection was not cut for not reading:\n%s", h.logs.text())
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
	if len(stored) == 0 {
		t.Fatalf("nothing stored: was bob ever over the queue bound? received %d", received)
	}
}
