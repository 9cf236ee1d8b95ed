package server_test

import (
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

// TestMUCRegisteredNickAndVoice over loopback TLS: bob registers Bobby
// with the room and becomes a member; carol cannot join as Bobby; in the
// now moderated room carol is a visitor, asks for voice, alice approves
// the form she gets, and carol's presence says participant.
func TestMUCRegisteredNickAndVoice(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Users = append(c.Users, config.User{Name: "carol", Password: "carol-pw"})
	})
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	carol := h.login(t, "carol", "c")
	alice.mucJoin("Alice", "")
	bob.send("<iq type='set' id='r1' to='" + mucRoom + "'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>" +
		"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>" +
		"<field var='muc#register_roomnick'><value>Bobby</value></field></x></query></iq>")
	bob.expect("<iq id='r1' type='result' from='" + mucRoom + "' to='" + bob.jid + "'/>")
	carol.send("<presence to='" + mucRoom + "/Bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
	if el := carol.nextElement(); el.FindElement("error/conflict") == nil {
		t.Fatalf("carol as Bobby: %s", stream.Marshal(el))
	}
	alice.send("<iq type='set' id='c1' to='" + mucRoom + "'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>" +
		"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>" +
		"<field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>")
	alice.nextFrom(mucRoom) // 104
	alice.expect("<iq id='c1' type='result' from='" + mucRoom + "' to='" + alice.jid + "'/>")
	got := carol.mucJoin("Carol", "")
	if self := got[len(got)-2]; self.FindElement("x/item[@role='visitor']") == nil {
		t.Fatalf("carol's join: %s", stream.Marshal(self))
	}
	alice.nextFrom(mucRoom + "/Carol")
	carol.send("<message to='" + mucRoom + "'><x xmlns='jabber:x:data' type='submit'>" +
		"<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>" +
		"<field var='muc#role'><value>participant</value></field></x></message>")
	form := alice.nextFrom(mucRoom)
	if v := form.FindElement("x/field[@var='muc#roomnick']/value"); v == nil || v.Text() != "Carol" {
		t.Fatalf("the voice request alice got: %s", stream.Marshal(form))
	}
	form.SelectElement("x").SelectAttr("type").Value = "submit"
	form.FindElement("x/field[@var='muc#request_allow']/value").SetText("true")
	alice.send("<message to='" + mucRoom + "'>" + string(stream.Marshal(form.SelectElement("x"))) + "</message>")
	if el := carol.nextFrom(mucRoom + "/Carol"); el.FindElement("x/item[@role='participant']") == nil {
		t.Fatalf("carol after the approval: %s", stream.Marshal(el))
	}
	if el := alice.nextFrom(mucRoom + "/Carol"); el.FindElement("x/item[@role='participant']") == nil {
		t.Fatalf("alice sees carol's voice: %s", stream.Marshal(el))
	}
}
