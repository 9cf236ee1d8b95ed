package muc

import (
	"strings"
	"testing"
	"time"
)

const voiceRequest = `<message to='` + room + `'><x xmlns='jabber:x:data' type='submit'>` +
	`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>` +
	`<field var='muc#role' type='list-single'><value>participant</value></field></x></message>`

func voiceAnswer(nick, allow string) string {
	return `<message to='` + room + `'><x xmlns='jabber:x:data' type='submit'>` +
		`<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>` +
		`<field var='muc#role'><value>participant</value></field>` +
		`<field var='muc#jid'><value>carol@localhost/c</value></field>` +
		`<field var='muc#roomnick'><value>` + nick + `</value></field>` +
		`<field var='muc#request_allow'><value>` + allow + `</value></field></x></message>`
}

// TestVoiceRequest: in a moderated room a visitor's request reaches the
// moderators (not the participants) as a form naming it; a second request
// within the interval is refused; a participant's answer is forbidden; a
// declined one changes nothing; an approval gives voice to everyone's
// knowledge, and the visitor may then speak.
func TestVoiceRequest(t *testing.T) {
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	s, k := newService(t, Options{Now: func() time.Time { return now }})
	join(t, s, alice, "Alice")
	send(t, s, alice, `<iq type='set' id='a' to='`+room+`'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='member'/></query></iq>`)
	send(t, s, alice, submit(map[string]string{"muc#roomconfig_moderatedroom": "1"}))
	join(t, s, bob, "Bob")
	join(t, s, carol, "Carol")
	k.reset()
	send(t, s, carol, `<message to='`+room+`' type='groupchat'><body>may I?</body></message>`)
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("a visitor speaking: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, voiceRequest)
	g := k.take(alice)
	if len(g) != 1 || g[0].SelectAttrValue("from", "") != room ||
		g[0].FindElement("x/field[@var='muc#roomnick']/value").Text() != "Carol" ||
		g[0].FindElement("x/field[@var='muc#jid']/value").Text() != carol ||
		g[0].FindElement("x/field[@var='muc#request_allow']/value").Text() != "false" ||
		g[0].FindElement("x/field[@var='FORM_TYPE']/value").Text() != requestFormType {
		t.Fatalf("the moderator's form: %s", strings.Join(k.all, "\n"))
	}
	if g := k.take(bob); len(g) != 0 {
		t.Fatalf("a participant got the request: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, carol, voiceRequest)
	if g := k.take(carol); len(g) != 1 || errCond(g[0]) != "resource-constraint" {
		t.Fatalf("a second request at once: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, bob, voiceAnswer("Carol", "true"))
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "forbidden" {
		t.Fatalf("a participant approving: %s", strings.Join(k.all, "\n"))
	}
	k.reset()
	send(t, s, alice, voiceAnswer("Carol", "false"))
	if len(k.all) != 0 {
		t.Fatalf("a declined request: %s", strings.Join(k.all, "\n"))
	}
	now = now.Add(2 * time.Minute)
	k.reset()
	send(t, s, carol, voiceRequest)
	if g := k.take(alice); len(g) != 1 {
		t.Fatalf("a request after the interval: %s", strings.Join(k.all, "\n"))
	}
	send(t, s, alice, voiceAnswer("Carol", "1"))
	for _, j := range []string{alice, bob, carol} {
		if g := k.take(j); len(g) != 1 || g[0].SelectAttrValue("from", "") != room+"/Carol" || item(g[0]).SelectAttrValue("role", "") != Participant {
			t.Fatalf("%s after the approval: %s", j, strings.Join(k.all, "\n"))
		}
	}
	send(t, s, carol, `<message to='`+room+`' type='groupchat'><body>thanks</body></message>`)
	if g := k.take(carol); len(g) != 1 || g[0].SelectElement("body") == nil {
		t.Fatalf("carol speaking with voice: %s", strings.Join(k.all, "\n"))
	}
	// A participant asking is told it has voice.
	k.reset()
	send(t, s, bob, voiceRequest)
	if g := k.take(bob); len(g) != 1 || errCond(g[0]) != "not-acceptable" {
		t.Fatalf("a participant asking: %s", strings.Join(k.all, "\n"))
	}
}
