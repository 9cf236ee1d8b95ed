package server_test

// Private XML storage (XEP-0049) end to end.

import (
	"context"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

// TestPrivateStorage: nothing stored reads as the empty element asked for;
// a set of two elements (one with a prefix of its own) is read back, each
// by its name and namespace, across a restart; bob cannot read or write
// alice's; a jabber: namespace is not-acceptable; a set past
// chat.private_max_bytes is resource-constraint and leaves what was there.
func TestPrivateStorage(t *testing.T) {
	dir := t.TempDir()
	conf := func(c *config.Config) { c.StateDir = dir; c.Chat.PrivateMaxBytes = 400 }
	notes := "<storage xmlns='storage:rosternotes'><note jid='bob@localhost'>met at the lab</note></storage>"
	t.Run("before", func(t *testing.T) {
		h := start(t, conf)
		alice := h.login(t, "alice", "a")
		alice.send("<iq type='get' id='g1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
		alice.expect("<iq id='g1' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
		alice.send("<iq type='set' id='s1'><query xmlns='jabber:iq:private'>" + notes +
			"<b:storage xmlns:b='storage:bookmarks'><b:conference jid='lab@conference.localhost' autojoin='true'/></b:storage></query></iq>")
		alice.expect("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
		if err := h.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	h := start(t, conf)
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	alice.send("<iq type='get' id='g2' to='alice@localhost'><query xmlns='jabber:iq:private'><storage xmlns='storage:rosternotes'/></query></iq>")
	alice.expect("<iq id='g2' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'>" + notes + "</query></iq>")
	alice.send("<iq type='get' id='g3'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>")
	alice.expect("<iq id='g3' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'>" +
		"<storage xmlns='storage:bookmarks'><conference jid='lab@conference.localhost' autojoin='true'/></storage></query></iq>")

	for _, c := range []struct {
		who       *chatClient
		req, cond string
	}{
		{bob, "<iq type='get' id='f1' to='alice@localhost'><query xmlns='jabber:iq:private'><storage xmlns='storage:rosternotes'/></query></iq>", "<forbidden"},
		{bob, "<iq type='set' id='f2' to='alice@localhost'><query xmlns='jabber:iq:private'><x xmlns='y'/></query></iq>", "<forbidden"},
		{alice, "<iq type='set' id='f3'><query xmlns='jabber:iq:private'><query xmlns='jabber:iq:roster'/></query></iq>", "<not-acceptable"},
		{alice, "<iq type='set' id='f4'><query xmlns='jabber:iq:private'><big xmlns='big'>" + strings.Repeat("x", 300) + "</big></query></iq>", "<resource-constraint"},
	} {
		c.who.send(c.req)
		el := c.who.nextElement()
		if got := string(stream.Marshal(el)); el.SelectAttrValue("type", "") != "error" || !strings.Contains(got, c.cond) || strings.Contains(got, "met at the lab") {
			t.Errorf("%s\nwas answered with %s, want an error %s/> that reveals nothing", c.req, got, c.cond)
		}
	}
	alice.send("<iq type='get' id='g4'><query xmlns='jabber:iq:private'><big xmlns='big'/></query></iq>")
	alice.expect("<iq id='g4' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'><big xmlns='big'/></query></iq>")
}
