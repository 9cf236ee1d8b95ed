package chat_test

import (
	"strings"
	"testing"

	"jabberd/chat"
)

func TestPing(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"to the domain",
			`<iq from='alice@example.com/laptop' to='example.com' id='p1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='p1' type='result' from='example.com' to='alice@example.com/laptop'/>`},
		{"no to: the account answers",
			`<iq from='alice@example.com/laptop' id='p2' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='p2' type='result' from='alice@example.com' to='alice@example.com/laptop'/>`},
		{"own bare JID",
			`<iq from='alice@example.com/laptop' to='alice@example.com' id='p3' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='p3' type='result' from='alice@example.com' to='alice@example.com/laptop'/>`},
		{"own bare JID in another case",
			`<iq from='alice@example.com/laptop' to='Alice@example.com' id='p4' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='p4' type='result' from='Alice@example.com' to='alice@example.com/laptop'/>`},
		{"domain in another case",
			`<iq from='alice@example.com/laptop' to='EXAMPLE.COM' id='p5' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='p5' type='result' from='EXAMPLE.COM' to='alice@example.com/laptop'/>`},
		{"prefixed ping",
			`<iq from='alice@example.com/laptop' to='example.com' id='p6' type='get'><p:ping xmlns:p='urn:xmpp:ping'/></iq>`,
			`<iq id='p6' type='result' from='example.com' to='alice@example.com/laptop'/>`},
		{"no id",
			`<iq from='alice@example.com/laptop' to='example.com' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq type='result' from='example.com' to='alice@example.com/laptop'/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			a, p, b := e.bind(aliceL), e.online(aliceP), e.online(bobD)
			e.send(a, tc.in)
			expect(t, "laptop (sender)", a, tc.want)
			expect(t, "phone", p)
			expect(t, "bob", b)
		})
	}
}

func TestDiscoAndVersion(t *testing.T) {
	features := []string{
		"http://jabber.org/protocol/disco#info",
		"http://jabber.org/protocol/disco#items",
		"urn:xmpp:ping",
		"jabber:iq:version",
		"jabber:iq:roster",
		"urn:xmpp:features:rosterver",
		"http://jabber.org/protocol/msgoffline",
		"urn:xmpp:delay",
		"urn:xmpp:carbons:2",
		"urn:xmpp:blocking",
	}
	info := func(extra ...string) string {
		var b strings.Builder
		b.WriteString(`<iq id='d1' type='result' from='example.com' to='alice@example.com/laptop'><query xmlns='http://jabber.org/protocol/disco#info'>`)
		b.WriteString(`<identity category='server' type='im' name='jabberd'/>`)
		for _, f := range append(append([]string(nil), features...), extra...) {
			b.WriteString(`<feature var='` + f + `'/>`)
		}
		b.WriteString(`</query></iq>`)
		return b.String()
	}
	const discoInfo = `<iq from='alice@example.com/laptop' to='example.com' id='d1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`

	e := newEnv(t, chat.Options{Version: "1.2.3"})
	a := e.bind(aliceL)
	e.send(a, discoInfo)
	expect(t, "disco#info", a, info())
	// The same twice: the feature list is not shared state.
	e.send(a, discoInfo)
	expect(t, "disco#info again", a, info())

	e.send(a, `<iq from='alice@example.com/laptop' to='example.com' id='d2' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	expect(t, "disco#items", a, `<iq id='d2' type='result' from='example.com' to='alice@example.com/laptop'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)

	e.send(a, `<iq from='alice@example.com/laptop' to='example.com' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>`)
	expect(t, "version", a, `<iq id='v1' type='result' from='example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:version'><name>jabberd</name><version>1.2.3</version></query></iq>`)

	// Extra features come last.
	e2 := newEnv(t, chat.Options{ExtraFeatures: []string{"jabber:iq:register"}})
	a2 := e2.bind(aliceL)
	e2.send(a2, discoInfo)
	expect(t, "disco#info with in-band registration", a2, info("jabber:iq:register"))
	e2.send(a2, discoInfo)
	expect(t, "disco#info with in-band registration, again", a2, info("jabber:iq:register"))
}

func TestServerIQErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown namespace",
			`<iq from='alice@example.com/laptop' to='example.com' id='u1' type='get'><query xmlns='jabber:iq:last'/></iq>`,
			`<iq id='u1' type='error' from='example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:last'/>` + errSvc + `</iq>`},
		{"unknown namespace, no to",
			`<iq from='alice@example.com/laptop' id='u2' type='get'><query xmlns='jabber:iq:last'/></iq>`,
			`<iq id='u2' type='error' to='alice@example.com/laptop' from='example.com'><query xmlns='jabber:iq:last'/>` + errSvc + `</iq>`},
		{"ping as set",
			`<iq from='alice@example.com/laptop' to='example.com' id='u3' type='set'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='u3' type='error' from='example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>` + errSvc + `</iq>`},
		{"ping in the wrong namespace",
			`<iq from='alice@example.com/laptop' to='example.com' id='u4' type='get'><ping xmlns='urn:xmpp:pong'/></iq>`,
			`<iq id='u4' type='error' from='example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:pong'/>` + errSvc + `</iq>`},
		{"version as set",
			`<iq from='alice@example.com/laptop' to='example.com' id='u5' type='set'><query xmlns='jabber:iq:version'/></iq>`,
			`<iq id='u5' type='error' from='example.com' to='alice@example.com/laptop'><query xmlns='jabber:iq:version'/>` + errSvc + `</iq>`},
		{"disco to the account (answered by the server for it, RFC 6120 §10.3.3)",
			`<iq from='alice@example.com/laptop' to='alice@example.com' id='u6' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`,
			`<iq id='u6' type='result' from='alice@example.com' to='alice@example.com/laptop'><query xmlns='http://jabber.org/protocol/disco#info'>` +
				`<identity category='account' type='registered'/><feature var='http://jabber.org/protocol/disco#info'/></query></iq>`},
		{"disco of a node of the account",
			`<iq from='alice@example.com/laptop' to='alice@example.com' id='u9' type='get'><query xmlns='http://jabber.org/protocol/disco#info' node='x'/></iq>`,
			`<iq id='u9' type='error' from='alice@example.com' to='alice@example.com/laptop'><query xmlns='http://jabber.org/protocol/disco#info' node='x'/>` + errSvc + `</iq>`},
		{"no payload",
			`<iq from='alice@example.com/laptop' to='example.com' id='u7' type='get'/>`,
			`<iq id='u7' type='error' from='example.com' to='alice@example.com/laptop'><error code='400' type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>an IQ carries exactly one payload</text></error></iq>`},
		{"two payloads",
			`<iq from='alice@example.com/laptop' to='example.com' id='u8' type='get'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='u8' type='error' from='example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/><error code='400' type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>an IQ carries exactly one payload</text></error></iq>`},
		{"result to the server", `<iq from='alice@example.com/laptop' to='example.com' id='r1' type='result'/>`, ""},
		{"result, no to", `<iq from='alice@example.com/laptop' id='r2' type='result'/>`, ""},
		{"error to the server", `<iq from='alice@example.com/laptop' to='example.com' id='r3' type='error'/>`, ""},
		{"iq to another domain",
			`<iq from='alice@example.com/laptop' to='other.org' id='o1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='o1' type='error' from='other.org' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>` +
				`<error code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
				`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>this server does not federate; other.org is not reachable</text></error></iq>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			a := e.bind(aliceL)
			e.send(a, tc.in)
			if tc.want == "" {
				expect(t, "laptop (sender)", a)
			} else {
				expect(t, "laptop (sender)", a, tc.want)
			}
		})
	}
}

func TestIQToUsers(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a, p := e.bind(aliceL), e.bind(aliceP)
	b, b2 := e.online(bobD), e.online("bob@example.com/phone")
	b.take()

	// To another user's bound full JID: that session only, available or not.
	in := `<iq from='alice@example.com/laptop' to='bob@example.com/desk' id='i1' type='get'><query xmlns='jabber:iq:version'/></iq>`
	e.send(a, in)
	expect(t, "bob's desk", b, in)
	expect(t, "bob's phone", b2)
	expect(t, "alice (sender)", a)
	// And the answer back to alice's unavailable laptop.
	res := `<iq from='bob@example.com/desk' to='alice@example.com/laptop' id='i1' type='result'><query xmlns='jabber:iq:version'><name>x</name></query></iq>`
	e.send(b, res)
	expect(t, "alice's laptop", a, res)
	expect(t, "alice's phone", p)
	// To one's own other resource.
	in = `<iq from='alice@example.com/laptop' to='alice@example.com/phone' id='i2' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`
	e.send(a, in)
	expect(t, "alice's phone", p, in)
	expect(t, "alice's laptop", a)

	for _, tc := range []struct{ name, in, want string }{
		{"unbound full JID",
			`<iq from='alice@example.com/laptop' to='bob@example.com/tablet' id='i3' type='get'><query xmlns='jabber:iq:version'/></iq>`,
			`<iq id='i3' type='error' from='bob@example.com/tablet' to='alice@example.com/laptop'><query xmlns='jabber:iq:version'/>` + errSvc + `</iq>`},
		{"another user's bare JID: never fanned out",
			`<iq from='alice@example.com/laptop' to='bob@example.com' id='i4' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
			`<iq id='i4' type='error' from='bob@example.com' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>` + errSvc + `</iq>`},
		{"unknown user",
			`<iq from='alice@example.com/laptop' to='nobody@example.com/x' id='i5' type='set'><query xmlns='jabber:iq:version'/></iq>`,
			`<iq id='i5' type='error' from='nobody@example.com/x' to='alice@example.com/laptop'><query xmlns='jabber:iq:version'/>` + errSvc + `</iq>`},
		// RFC 6120 §8.2.3: a response is never answered, not even with an error.
		{"result to an unbound full JID", `<iq from='alice@example.com/laptop' to='bob@example.com/gone' id='i6' type='result'/>`, ""},
		{"result to an unknown user", `<iq from='alice@example.com/laptop' to='nobody@example.com/x' id='i7' type='result'/>`, ""},
		{"result to another domain", `<iq from='alice@example.com/laptop' to='x@other.org/r' id='i8' type='result'/>`, ""},
		{"result to a bare JID", `<iq from='alice@example.com/laptop' to='bob@example.com' id='i9' type='result'/>`, ""},
	} {
		e.send(a, tc.in)
		if tc.want == "" {
			expect(t, "alice for "+tc.name, a)
		} else {
			expect(t, "alice for "+tc.name, a, tc.want)
		}
		expect(t, "bob's desk for "+tc.name, b)
		expect(t, "bob's phone for "+tc.name, b2)
	}

	// A target that fails to take it: service-unavailable, no fan-out.
	b.setFail(true)
	e.send(a, `<iq from='alice@example.com/laptop' to='bob@example.com/desk' id='f' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`)
	expect(t, "alice", a, `<iq id='f' type='error' from='bob@example.com/desk' to='alice@example.com/laptop'><ping xmlns='urn:xmpp:ping'/>`+errSvc+`</iq>`)
	expect(t, "bob's phone", b2)
}
