package server_test

import (
	"strings"
	"testing"
)

// capsRound sends c a presence with caps (ver, hash) and answers the
// server's disco#info query with answer ("" when c expects none); it
// returns what else c received, presence left out, once the server has
// read all that.
func capsRound(c *chatClient, hash, ver, answer string) []string {
	c.t.Helper()
	hashAttr := ""
	if hash != "" {
		hashAttr = " hash='" + hash + "'"
	}
	c.send("<presence><c xmlns='http://jabber.org/protocol/caps' node='https://jabberd.test'" + hashAttr + " ver='" + ver + "'/></presence>")
	if answer != "" {
		q := c.expect("<iq type='get' from='localhost' to='" + c.jid + "' id='{*}'><query xmlns='http://jabber.org/protocol/disco#info' node='https://jabberd.test#" + ver + "'/></iq>")
		c.send(strings.Replace(answer, "ID", q.SelectAttrValue("id", ""), 1))
	}
	return filterPresence(c.untilPing())
}

// TestCapsNotVerified: caps the server cannot verify (legacy caps without
// a hash, a wrong hash, an error answer) are asked once per session, not
// at every presence, and the last items come once; a session that waited
// for another's answer that did not verify is asked itself and gets its
// last items.
func TestCapsNotVerified(t *testing.T) {
	h := start(t, nil)
	b1 := h.login(t, "bob", "b1")
	b1.send(publishIQ("p1", "http://jabber.org/protocol/nick", "1", "<nick xmlns='http://jabber.org/protocol/nick'>Bob</nick>", ""))
	b1.expect("<iq id='p1' type='result' from='bob@localhost' to='bob@localhost/b1'><pubsub xmlns='" + nsPubsub + "'><publish node='http://jabber.org/protocol/nick'><item id='1'/></publish></pubsub></iq>")
	answer := "<iq type='result' to='localhost' id='ID'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='client' type='pc'/><feature var='http://jabber.org/protocol/nick+notify'/></query></iq>"
	nick := "<items node='http://jabber.org/protocol/nick'><item id='1'>"
	lastOnce := func(c *chatClient, got []string, what string) {
		t.Helper()
		if len(got) != 1 || !strings.Contains(got[0], nick) {
			t.Errorf("%s: %s received %q, want its last nick once", what, c.jid, got)
		}
	}
	lastOnce(b1, capsRound(b1, "", "legacy", answer), "legacy caps answered")
	if got := capsRound(b1, "", "legacy", ""); len(got) != 0 {
		t.Errorf("legacy caps again: %q, want no query and no last items", got)
	}

	// A wrong hash: b2 waits for b1's answer, which does not verify.
	b1.send("<presence><c xmlns='http://jabber.org/protocol/caps' node='https://jabberd.test' hash='sha-1' ver='wrong'/></presence>")
	q1 := b1.expect("<iq type='get' from='localhost' to='bob@localhost/b1' id='{*}'><query xmlns='http://jabber.org/protocol/disco#info' node='https://jabberd.test#wrong'/></iq>")
	b2 := h.login(t, "bob", "b2")
	b2.send("<presence><c xmlns='http://jabber.org/protocol/caps' node='https://jabberd.test' hash='sha-1' ver='wrong'/></presence>")
	if got := filterPresence(b2.untilPing()); len(got) != 0 {
		t.Errorf("b2, waiting for b1's answer, received %q", got) // asked nothing yet
	}
	b1.send(strings.Replace(answer, "ID", q1.SelectAttrValue("id", ""), 1))
	lastOnce(b1, filterPresence(b1.untilPing()), "a wrong hash answered")
	q2 := b2.expect("<iq type='get' from='localhost' to='bob@localhost/b2' id='{*}'><query xmlns='http://jabber.org/protocol/disco#info' node='https://jabberd.test#wrong'/></iq>")
	b2.send(strings.Replace(answer, "ID", q2.SelectAttrValue("id", ""), 1))
	lastOnce(b2, filterPresence(b2.untilPing()), "the waiter, asked itself")
	if got := capsRound(b1, "sha-1", "wrong", ""); len(got) != 0 {
		t.Errorf("a wrong hash again: %q, want no query and no last items", got)
	}

	// An error answer is remembered too.
	b2.untilPing() // b1's presence
	if got := capsRound(b2, "sha-1", "broken", "<iq type='error' to='localhost' id='ID'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"); len(got) != 0 {
		t.Errorf("an error answer: %q", got)
	}
	if got := capsRound(b2, "sha-1", "broken", ""); len(got) != 0 {
		t.Errorf("caps answered with an error, again: %q, want no query", got)
	}
}

func filterPresence(got []string) []string {
	var out []string
	for _, s := range got {
		if !strings.HasPrefix(s, "<presence") {
			out = append(out, s)
		}
	}
	return out
}
