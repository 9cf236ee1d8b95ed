package server_test

import (
	"strings"
	"testing"

	"jabberd/stream"
)

// TestMUCArchive over loopback TLS: a room is logged by default (170 on
// the join); alice's message reaches her with the room's stanza-id, and
// bob, who never joined, reads it from the room's archive (XEP-0313): a
// result from the room with the message as relayed, then <fin/>.
func TestMUCArchive(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	got := alice.mucJoin("Alice", "")
	if mucCodes(got[0]) != "110,170,201" {
		t.Fatalf("the creator's join: %s", stream.Marshal(got[0]))
	}
	alice.send("<message to='" + mucRoom + "' type='groupchat' id='a1'><body>for the record</body></message>")
	echo := alice.nextFrom(mucRoom + "/Alice")
	sid := echo.SelectElement("stanza-id")
	if sid == nil || sid.SelectAttrValue("by", "") != mucRoom || sid.SelectAttrValue("id", "") == "" {
		t.Fatalf("the relayed message: %s", stream.Marshal(echo))
	}
	bob.send("<iq type='set' id='q1' to='" + mucRoom + "'><query xmlns='urn:xmpp:mam:2' queryid='qq'/></iq>")
	res := bob.nextFrom(mucRoom)
	r := res.SelectElement("result")
	if r == nil || r.SelectAttrValue("queryid", "") != "qq" || r.SelectAttrValue("id", "") != sid.SelectAttrValue("id", "") ||
		r.FindElement("forwarded/message/body") == nil || r.FindElement("forwarded/message/body").Text() != "for the record" ||
		r.FindElement("forwarded/message").SelectAttrValue("from", "") != mucRoom+"/Alice" || r.FindElement("forwarded/delay") == nil {
		t.Fatalf("the archived message: %s", stream.Marshal(res))
	}
	fin := bob.nextFrom(mucRoom)
	if fin.SelectAttrValue("type", "") != "result" || fin.SelectAttrValue("id", "") != "q1" || !strings.Contains(string(stream.Marshal(fin)), "complete='true'") {
		t.Fatalf("fin: %s", stream.Marshal(fin))
	}
}
