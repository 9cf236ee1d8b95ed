package server_test

// Multi-user chat (XEP-0045) end to end: real sessions over loopback TLS
// join a room on conference.localhost, talk, change the subject, send a
// private message, kick, and find a persistent room again after a restart.

import (
	"context"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/stream"
)

const mucRoom = "team@conference.localhost"

// mucCodes are the status codes of a MUC presence or message.
func mucCodes(el *etree.Element) string {
	var out []string
	for _, x := range el.SelectElements("x") {
		for _, s := range x.SelectElements("status") {
			out = append(out, s.SelectAttrValue("code", ""))
		}
	}
	return strings.Join(out, ",")
}

// mucJoin joins the room as nick and reads until the room's subject, which
// ends a join; it returns what came before it.
func (c *chatClient) mucJoin(nick, extra string) []*etree.Element {
	c.t.Helper()
	c.send("<presence to='" + mucRoom + "/" + nick + "'><x xmlns='http://jabber.org/protocol/muc'>" + extra + "</x></presence>")
	var got []*etree.Element
	for {
		el := c.nextElement()
		if el.SelectAttrValue("type", "") == "error" {
			c.t.Fatalf("%s: join refused: %s", c.user, stream.Marshal(el))
		}
		if el.Tag == "message" && el.SelectElement("subject") != nil && el.SelectElement("body") == nil {
			return append(got, el)
		}
		got = append(got, el)
	}
}

func (c *chatClient) nextFrom(from string) *etree.Element {
	c.t.Helper()
	el := c.nextElement()
	if el.SelectAttrValue("from", "") != from {
		c.t.Fatalf("%s: got %s, want a stanza from %s", c.user, stream.Marshal(el), from)
	}
	return el
}

func TestMUCEndToEnd(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Users = append(c.Users, config.User{Name: "carol", Password: "carol-pw"})
	})
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	carol := h.login(t, "carol", "c")

	// The service is in the server's disco#items and says it is MUC.
	alice.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/item[@jid='conference.localhost']") == nil {
		t.Fatalf("disco#items: %s", stream.Marshal(el))
	}
	alice.send("<iq type='get' id='d2' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/feature[@var='http://jabber.org/protocol/muc']") == nil || el.FindElement("query/identity[@category='conference']") == nil {
		t.Fatalf("service disco#info: %s", stream.Marshal(el))
	}

	got := alice.mucJoin("Alice", "")
	if len(got) != 2 || mucCodes(got[0]) != "110,170,201" {
		t.Fatalf("creating the room: %d stanzas, first %s", len(got), stream.Marshal(got[0]))
	}
	got = bob.mucJoin("Bob", "")
	if len(got) != 3 || mucCodes(got[1]) != "110,170" {
		t.Fatalf("bob's join: %d stanzas", len(got))
	}
	alice.nextFrom(mucRoom + "/Bob")
	// A nickname in use: 409.
	carol.send("<presence to='" + mucRoom + "/Bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	if el := carol.nextElement(); el.SelectAttrValue("type", "") != "error" || el.FindElement("error/conflict") == nil {
		t.Fatalf("conflict: %s", stream.Marshal(el))
	}
	carol.mucJoin("Carol", "")
	alice.nextFrom(mucRoom + "/Carol")
	bob.nextFrom(mucRoom + "/Carol")

	// A groupchat message reaches every occupant, the sender included.
	bob.send("<message to='" + mucRoom + "' type='groupchat' id='g1'><body>hello room</body></message>")
	for _, c := range []*chatClient{alice, bob, carol} {
		el := c.nextFrom(mucRoom + "/Bob")
		if el.SelectElement("body").Text() != "hello room" || el.SelectAttrValue("to", "") != c.jid {
			t.Fatalf("%s: %s", c.user, stream.Marshal(el))
		}
	}
	// Subject.
	alice.send("<message to='" + mucRoom + "' type='groupchat'><subject>Release</subject></message>")
	for _, c := range []*chatClient{alice, bob, carol} {
		if el := c.nextFrom(mucRoom + "/Alice"); el.SelectElement("subject").Text() != "Release" {
			t.Fatalf("%s: %s", c.user, stream.Marshal(el))
		}
	}
	// Private message between occupants.
	carol.send("<message to='" + mucRoom + "/Bob' type='chat'><body>just you</body></message>")
	if el := bob.nextFrom(mucRoom + "/Carol"); el.SelectElement("body").Text() != "just you" {
		t.Fatalf("private: %s", stream.Marshal(el))
	}
	// Kick: 307 to the kicked (with 110) and to the others.
	alice.send("<iq type='set' id='k1' to='" + mucRoom + "'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='Carol' role='none'/></query></iq>")
	if el := carol.nextFrom(mucRoom + "/Carol"); el.SelectAttrValue("type", "") != "unavailable" || mucCodes(el) != "110,307" {
		t.Fatalf("kicked: %s", stream.Marshal(el))
	}
	if el := bob.nextFrom(mucRoom + "/Carol"); mucCodes(el) != "307" {
		t.Fatalf("bob sees the kick: %s", stream.Marshal(el))
	}
	alice.nextFrom(mucRoom + "/Carol")
	alice.expect("<iq id='k1' type='result' from='" + mucRoom + "' to='" + alice.jid + "'/>")

	// A session that ends leaves the room.
	carol.closeStream()
	bob.closeStream()
	if el := alice.nextFrom(mucRoom + "/Bob"); el.SelectAttrValue("type", "") != "unavailable" {
		t.Fatalf("bob's session ended: %s", stream.Marshal(el))
	}
	alice.ping()
}

func TestMUCPersistentRoomSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	conf := func(c *config.Config) { c.StateDir = dir }
	t.Run("before", func(t *testing.T) {
		h := start(t, conf)
		alice := h.login(t, "alice", "a")
		alice.mucJoin("Alice", "")
		alice.send("<iq type='set' id='c1' to='" + mucRoom + "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>" +
			"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>" +
			"<field var='muc#roomconfig_persistentroom'><value>1</value></field>" +
			"<field var='muc#roomconfig_roomname'><value>The team</value></field></x></query></iq>")
		alice.nextFrom(mucRoom) // 104
		alice.expect("<iq id='c1' type='result' from='" + mucRoom + "' to='" + alice.jid + "'/>")
		alice.send("<message to='" + mucRoom + "' type='groupchat'><subject>Kept</subject></message>")
		alice.nextFrom(mucRoom + "/Alice")
		alice.send("<message to='" + mucRoom + "' type='groupchat' id='h1'><body>said before the restart</body></message>")
		alice.nextFrom(mucRoom + "/Alice")
		alice.send("<iq type='set' id='m1' to='" + mucRoom + "'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='member'/></query></iq>")
		alice.expect("<iq id='m1' type='result' from='" + mucRoom + "' to='" + alice.jid + "'/>")
		if err := h.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	h := start(t, conf)
	bob := h.login(t, "bob", "b")
	bob.send("<iq type='get' id='d1' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	if el := bob.nextElement(); el.FindElement("query/item[@name='The team']") == nil {
		t.Fatalf("the room is not listed after the restart: %s", stream.Marshal(el))
	}
	got := bob.mucJoin("Bob", "")
	self := got[len(got)-3]
	if mucCodes(self) != "110,170" || self.FindElement("x/item[@affiliation='member']") == nil {
		t.Errorf("bob's affiliation after the restart: %s", stream.Marshal(self))
	}
	if subj := got[len(got)-1]; subj.SelectElement("subject").Text() != "Kept" {
		t.Errorf("subject after the restart: %s", stream.Marshal(subj))
	}
	// The history, from the store: the message, from alice's occupant
	// JID, with its id and a delay stamp from the room.
	if h := got[len(got)-2]; h.Tag != "message" || h.SelectAttrValue("from", "") != mucRoom+"/Alice" || h.SelectAttrValue("id", "") != "h1" ||
		h.FindElement("body") == nil || h.FindElement("body").Text() != "said before the restart" || h.FindElement("delay[@from='"+mucRoom+"']") == nil {
		t.Errorf("history after the restart: %s", stream.Marshal(h))
	}
}

func TestMUCOff(t *testing.T) {
	h := start(t, func(c *config.Config) { c.MUC.Enabled = false })
	alice := h.login(t, "alice", "a")
	alice.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/item[@jid='conference.localhost']") != nil {
		t.Fatalf("disco#items with muc off: %s", stream.Marshal(el))
	}
	alice.send("<presence to='" + mucRoom + "/A'/>")
	alice.ping()
}

// TestMUCDirectInvitation: an XEP-0249 invitation is an ordinary message
// to the invitee's JID, passed through as it was sent.
func TestMUCDirectInvitation(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	bob.available("0")
	alice.mucJoin("Alice", "")
	alice.send("<message to='bob@localhost/b' id='inv1'><x xmlns='jabber:x:conference' jid='" + mucRoom + "' reason='come in'/></message>")
	for {
		el := bob.nextElement()
		if el.Tag != "message" {
			continue
		}
		if x := el.SelectElement("x"); x == nil || x.NamespaceURI() != "jabber:x:conference" || x.SelectAttrValue("jid", "") != mucRoom || el.SelectAttrValue("from", "") != alice.jid {
			t.Fatalf("invitation: %s", stream.Marshal(el))
		}
		break
	}
}
