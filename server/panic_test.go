// The panic test uses the test hook of server/export_test.go to make a
// connection's serve panic on chosen input.

package server_test

import (
	"io"
	"strings"
	"testing"

	"jabberd/app"
	"jabberd/negotiation"
	"jabberd/server"
)

const panicMsg = "connection handler panicked; connection closed"

// Case 12: a panic while serving one connection is recovered, logged with
// its stack, and ends that connection only; the others and the listener go on.
func TestPanicEndsOnlyItsConnection(t *testing.T) {
	h := startPanicking(t)

	good := h.dial(t)
	goodID := good.legacyOpen()

	for _, tc := range []struct {
		name    string
		prepare func(c *client)
	}{
		{"plaintext", func(c *client) { c.legacyOpen() }},
		{"over TLS", func(c *client) { c.legacyUpgrade(h.tlsConfig(nil)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := h.dial(t)
			tc.prepare(c)
			c.send("<panic/>")
			// The recovery closes the socket and says nothing: there is no
			// stream error for "the server broke".
			got, err := c.readUntilClosed()
			if got != "" || err != io.EOF {
				t.Errorf("after the panic the client got %q then %v, want a close with nothing", got, err)
			}
			e := h.logs.wait(t, h.connMatch(c, panicMsg))
			if e.Str("level") != "error" {
				t.Errorf("panic logged at %q, want error", e.Str("level"))
			}
			if e.Str("panic") != "test hook: <panic/> received" {
				t.Errorf("panic field %q", e.Str("panic"))
			}
			if st := e.Str("stack"); !strings.Contains(st, "panic_test.go") || !strings.Contains(st, "(*conn).Serve") {
				t.Errorf("stack does not show the panic's origin:\n%s", st)
			}
			h.waitConnCount(t, 1) // the good connection only
		})
	}

	// The connection opened before is unaffected and completes its upgrade.
	good.send(legacyStartTLS)
	good.expect(closeTag)
	cs := good.upgrade(h.tlsConfig(nil))
	good.send(legacyHeader)
	id2 := good.expectHeader(legacyAnswer)
	good.send(closeTag)
	good.expect(closeTag)
	good.expectClosed()
	checkEstablished(t, h.logs.wait(t, h.connMatch(good, "TLS established")), cs, 0)
	checkOpened(t, h, good, "legacy", []string{goodID, id2}, []string{"plaintext", "tls"})

	// And the listener still accepts.
	next := h.dial(t)
	next.legacyOpen()
	next.send(closeTag)
	next.expect(closeTag)
	next.expectClosed()
	h.waitConnCount(t, 0)
	if n := len(h.logs.all(t, match{msg: panicMsg})); n != 2 {
		t.Errorf("%d panics logged, want 2", n)
	}
}

// startPanicking starts a server whose connections panic on <panic/>.
func startPanicking(t *testing.T) *harness {
	h := startWith(t, nil, func(set *app.Setup) {
		server.SetTestHookEvent(set.Server, func(ev negotiation.Event) {
			if e, ok := ev.(negotiation.ElementEvent); ok && e.Element.Tag == "panic" {
				panic("test hook: <panic/> received")
			}
		})
	})
	h.allowError(panicMsg)
	return h
}
