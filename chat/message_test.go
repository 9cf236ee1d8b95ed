package chat_test

import (
	"fmt"
	"testing"

	"jabberd/chat"
)

func TestMessageToBoundFullJIDWithoutPresence(t *testing.T) {
	e := newEnv(t, chat.Options{})
	a1, a2, b := e.bind(aliceL), e.bind(aliceP), e.bind(bobD)
	in := `<message from='bob@example.com/desk' to='alice@example.com/phone' id='m1' type='chat'><body>hi &amp; &lt;bye&gt;</body></message>`
	e.send(b, in)
	expect(t, "phone", a2, in)
	expect(t, "laptop", a1)
	expect(t, "bob (sender)", b)
	if n := e.offline("alice"); n != 0 {
		t.Errorf("%d offline messages, want 0", n)
	}
	// A groupchat message to a bound full JID is delivered too (§8.5.3.1).
	in = `<message from='bob@example.com/desk' to='alice@example.com/laptop' id='g1' type='groupchat'><body>x</body></message>`
	e.send(b, in)
	expect(t, "laptop", a1, in)
	expect(t, "bob (sender)", b)
}

func TestMessageToBareJIDPriority(t *testing.T) {
	// Resources r0, r1, … of alice with these priorities (nil: bound,
	// no presence yet); want: the indexes that get a message to the bare
	// JID, or none and the message goes offline.
	p := func(n int) *int { return &n }
	for _, tc := range []struct {
		name  string
		prios []*int
		want  []int
	}{
		{"5 and 1: only the 5", []*int{p(5), p(1)}, []int{0}},
		{"1 and 5: only the 5", []*int{p(1), p(5)}, []int{1}},
		{"equal: both", []*int{p(2), p(2)}, []int{0, 1}},
		{"equal highest of three", []*int{p(3), p(1), p(3)}, []int{0, 2}},
		{"0 beats -1", []*int{p(0), p(-1)}, []int{0}},
		{"only negative: offline", []*int{p(-1), p(-5)}, nil},
		{"unavailable and negative: offline", []*int{nil, p(-1)}, nil},
		{"bound without presence: offline", []*int{nil, nil}, nil},
		// -999 stands for a presence without <priority/>: priority 0.
		{"no priority element is 0", []*int{p(-999), p(-1)}, []int{0}},
		{"no priority element loses to 1", []*int{p(-999), p(1)}, []int{1}},
		{"out-of-range priority counts as 0", []*int{p(1000), p(1)}, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			b := e.bind(bobD)
			var rs []*fake
			for i, pr := range tc.prios {
				jid := fmt.Sprintf("alice@example.com/r%d", i)
				switch {
				case pr == nil:
					rs = append(rs, e.bind(jid))
				case *pr == -999:
					rs = append(rs, e.online(jid))
				default:
					rs = append(rs, e.online(jid, *pr))
				}
			}
			for _, f := range rs {
				f.take()
			}
			in := `<message from='bob@example.com/desk' to='alice@example.com' id='m' type='chat'><body>x</body></message>`
			e.send(b, in)
			gets := map[int]bool{}
			for _, i := range tc.want {
				gets[i] = true
			}
			for i, f := range rs {
				if gets[i] {
					expect(t, f.jid, f, in)
				} else {
					expect(t, f.jid, f)
				}
			}
			expect(t, "bob (sender)", b)
			wantOffline := 0
			if len(tc.want) == 0 {
				wantOffline = 1
			}
			if n := e.offline("alice"); n != wantOffline {
				t.Errorf("%d offline messages, want %d", n, wantOffline)
			}
		})
	}
}

func TestMessageToUnboundFullJID(t *testing.T) {
	// RFC 6121 §8.5.3.2.1: no such resource → as if to the bare JID for
	// chat and normal; groupchat is an error.
	e := newEnv(t, chat.Options{})
	b := e.bind(bobD)
	a := e.online(aliceL)
	in := `<message from='bob@example.com/desk' to='alice@example.com/tablet' id='m2' type='chat'><body>x</body></message>`
	e.send(b, in)
	expect(t, "laptop (available)", a, in)
	expect(t, "bob (sender)", b)

	in = `<message from='bob@example.com/desk' to='alice@example.com/tablet' id='g2' type='groupchat'><body>x</body></message>`
	e.send(b, in)
	expect(t, "laptop", a)
	expect(t, "bob (sender)", b, `<message id='g2' type='error' from='alice@example.com/tablet' to='bob@example.com/desk'><body>x</body>`+errSvc+`</message>`)

	// Nobody available: stored.
	e.r.Unbind(a)
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com/tablet' id='m3'><body>x</body></message>`)
	expect(t, "bob (sender)", b)
	if n := e.offline("alice"); n != 1 {
		t.Errorf("%d offline messages, want 1", n)
	}
}

func TestMessageGroupchatToBareJIDIsAnError(t *testing.T) {
	// RFC 6121 §8.5.2.1.1: groupchat to a bare JID is never delivered to a
	// resource, available or not.
	e := newEnv(t, chat.Options{})
	b := e.bind(bobD)
	a := e.online(aliceL)
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='g' type='groupchat'><body>x</body></message>`)
	expect(t, "laptop", a)
	expect(t, "bob (sender)", b, `<message id='g' type='error' from='alice@example.com' to='bob@example.com/desk'><body>x</body>`+errSvc+`</message>`)
}

func TestMessageNoAvailableResourceByType(t *testing.T) {
	e := newEnv(t, chat.Options{})
	b := e.bind(bobD)
	bound := e.bind(aliceP) // bound, never available: not a target
	stored := []string{
		`<message from='bob@example.com/desk' to='alice@example.com' id='c' type='chat'><body>chat</body></message>`,
		`<message from='bob@example.com/desk' to='alice@example.com' id='n' type='normal'><body>normal</body></message>`,
		`<message from='bob@example.com/desk' to='Alice@Example.COM' id='u'><body>untyped</body></message>`,
	}
	for _, in := range stored {
		e.send(b, in)
		expect(t, "bob (sender) for "+in, b)
	}
	// Dropped silently.
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='h' type='headline'><body>news</body></message>`)
	expect(t, "bob (sender), headline", b)
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='e' type='error'><error type='cancel'/></message>`)
	expect(t, "bob (sender), error", b)
	// Groupchat: an error to the sender.
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='g' type='groupchat'><body>room</body></message>`)
	expect(t, "bob (sender), groupchat", b,
		`<message id='g' type='error' from='alice@example.com' to='bob@example.com/desk'><body>room</body>`+errSvc+`</message>`)
	expect(t, "bound, unavailable session", bound)
	if n := e.offline("alice"); n != 3 {
		t.Fatalf("%d offline messages, want 3", n)
	}

	// Next initial presence: echo first, then the three, in order, stamped,
	// and gone from the store.
	a := e.bind(aliceL)
	e.send(a, `<presence from='alice@example.com/laptop'/>`)
	want := []string{`<presence from='alice@example.com/laptop' to='alice@example.com/laptop'/>`}
	for _, s := range stored {
		want = append(want, s[:len(s)-len("</message>")]+
			`<delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'>Offline Storage</delay></message>`)
	}
	expect(t, "laptop", a, want...)
	if n := e.offline("alice"); n != 0 {
		t.Errorf("%d offline messages after delivery, want 0", n)
	}
	// Not again: on a later presence, or on another resource's.
	e.send(a, `<presence from='alice@example.com/laptop'><show>away</show></presence>`)
	expect(t, "laptop, second presence", a, `<presence from='alice@example.com/laptop' to='alice@example.com/laptop'><show>away</show></presence>`)
	e.send(bound, `<presence from='alice@example.com/phone'/>`)
	expect(t, "phone, initial presence", bound,
		`<presence from='alice@example.com/phone' to='alice@example.com/phone'/>`,
		`<presence from='alice@example.com/laptop' to='alice@example.com/phone'><show>away</show></presence>`)
	a.take()
}

func TestMessageToUnknownUserAndOtherDomains(t *testing.T) {
	const notFed = `<error code='404' type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>` +
		`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>this server does not federate; %s is not reachable</text></error>`
	for _, tc := range []struct{ name, in, want string }{
		{"unknown local user",
			`<message from='alice@example.com/laptop' to='nobody@example.com' id='m5' type='chat'><body>anyone?</body></message>`,
			`<message id='m5' type='error' from='nobody@example.com' to='alice@example.com/laptop'><body>anyone?</body>` + errSvc + `</message>`},
		{"unknown user, full JID, no id",
			`<message from='alice@example.com/laptop' to='nobody@example.com/res'><body>x</body></message>`,
			`<message type='error' from='nobody@example.com/res' to='alice@example.com/laptop'><body>x</body>` + errSvc + `</message>`},
		{"the domain itself",
			`<message from='alice@example.com/laptop' to='example.com' id='x'><body>hi</body></message>`,
			`<message id='x' type='error' from='example.com' to='alice@example.com/laptop'><body>hi</body>` + errSvc + `</message>`},
		{"another domain",
			`<message from='alice@example.com/laptop' to='carol@other.org' id='m6' type='chat'><body>hello</body></message>`,
			`<message id='m6' type='error' from='carol@other.org' to='alice@example.com/laptop'><body>hello</body>` + fmt.Sprintf(notFed, "other.org") + `</message>`},
		{"a subdomain is another domain",
			`<message from='alice@example.com/laptop' to='muc.example.com' id='m7'/>`,
			`<message id='m7' type='error' from='muc.example.com' to='alice@example.com/laptop'>` + fmt.Sprintf(notFed, "muc.example.com") + `</message>`},
		{"another domain, headline",
			`<message from='alice@example.com/laptop' to='x@other.org/r' id='m8' type='headline'/>`,
			`<message id='m8' type='error' from='x@other.org/r' to='alice@example.com/laptop'>` + fmt.Sprintf(notFed, "other.org") + `</message>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, chat.Options{})
			a1, a2, b := e.bind(aliceL), e.online(aliceP), e.online(bobD)
			a2.take()
			e.send(a1, tc.in)
			expect(t, "laptop (sender)", a1, tc.want)
			expect(t, "phone", a2)
			expect(t, "bob", b)
		})
	}
}

func TestMessageWithoutToIsForOwnAccount(t *testing.T) {
	// RFC 6120 §10.3.1: a message without 'to' is handled as if to the
	// sender's bare JID.
	e := newEnv(t, chat.Options{})
	a1 := e.bind(aliceL)
	a2 := e.online(aliceP)
	in := `<message from='alice@example.com/laptop' id='self'><body>note to self</body></message>`
	e.send(a1, in)
	expect(t, "laptop (sender, unavailable)", a1)
	expect(t, "phone (available)", a2, in)
}

func TestErrorMessagesAreNeverBounced(t *testing.T) {
	for _, in := range []string{
		`<message from='alice@example.com/laptop' to='nobody@example.com' id='e1' type='error'><error type='cancel'/></message>`,
		`<message from='alice@example.com/laptop' to='carol@other.org' id='e2' type='error'><error type='cancel'/></message>`,
		`<message from='alice@example.com/laptop' to='bob@example.com/gone' id='e3' type='error'><error type='cancel'/></message>`,
		`<message from='alice@example.com/laptop' to='bob@example.com' id='e4' type='error'><error type='cancel'/></message>`,
		`<iq from='alice@example.com/laptop' to='bob@example.com/gone' id='e5' type='error'><error type='cancel'/></iq>`,
		`<iq from='alice@example.com/laptop' to='example.com' id='e6' type='error'><error type='cancel'/></iq>`,
		`<presence from='alice@example.com/laptop' to='carol@other.org' type='error'/>`,
	} {
		e := newEnv(t, chat.Options{})
		a, b := e.bind(aliceL), e.bind(bobD)
		e.send(a, in)
		expect(t, "alice (sender) for "+in, a)
		expect(t, "bob for "+in, b)
		if n := e.offline("bob"); n != 0 {
			t.Errorf("%s: an error was stored offline", in)
		}
	}
}

func TestOfflineQuota(t *testing.T) {
	e := newEnv(t, chat.Options{OfflineQuota: 2})
	b := e.bind(bobD)
	for i := 1; i <= 2; i++ {
		e.send(b, fmt.Sprintf(`<message from='bob@example.com/desk' to='alice@example.com' id='q%d' type='chat'><body>%d</body></message>`, i, i))
		expect(t, "bob (sender)", b)
	}
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='q3' type='chat'><body>3</body></message>`)
	expect(t, "bob (sender), over quota", b,
		`<message id='q3' type='error' from='alice@example.com' to='bob@example.com/desk'><body>3</body>`+
			`<error code='503' type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>`+
			`<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the recipient's offline storage is full</text></error></message>`)
	if n := e.offline("alice"); n != 2 {
		t.Errorf("%d offline messages, want 2", n)
	}
	// Delivered, the storage has room again.
	a := e.bind(aliceL)
	e.send(a, `<presence from='alice@example.com/laptop'/>`)
	if got := a.take(); len(got) != 3 {
		t.Errorf("alice got %d stanzas at login, want presence and 2 messages: %q", len(got), got)
	}
	e.r.Unbind(a)
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='q4' type='chat'><body>4</body></message>`)
	expect(t, "bob (sender) after delivery", b)
	if n := e.offline("alice"); n != 1 {
		t.Errorf("%d offline messages, want 1", n)
	}
}

func TestDeliverFailureGoesOffline(t *testing.T) {
	e := newEnv(t, chat.Options{})
	b := e.bind(bobD)
	a := e.online(aliceL)
	a.setFail(true)

	// To the bare JID, the only available session failing.
	in1 := `<message from='bob@example.com/desk' to='alice@example.com' id='f1' type='chat'><body>one</body></message>`
	e.send(b, in1)
	// To its full JID.
	in2 := `<message from='bob@example.com/desk' to='alice@example.com/laptop' id='f2'><body>two</body></message>`
	e.send(b, in2)
	expect(t, "bob (sender): nothing is lost, no error", b)
	if a.tries() == 0 {
		t.Error("delivery to the failing session was never tried")
	}
	if n := e.offline("alice"); n != 2 {
		t.Fatalf("%d offline messages, want 2", n)
	}
	// A headline is not worth storing.
	e.send(b, `<message from='bob@example.com/desk' to='alice@example.com' id='f3' type='headline'><body>x</body></message>`)
	expect(t, "bob (sender), headline", b)
	if n := e.offline("alice"); n != 2 {
		t.Errorf("%d offline messages, want 2", n)
	}

	// The next initial presence, on another resource, gets them.
	const stamp = `<delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'>Offline Storage</delay>`
	p := e.bind(aliceP)
	e.send(p, `<presence from='alice@example.com/phone'/>`)
	expect(t, "phone", p,
		`<presence from='alice@example.com/phone' to='alice@example.com/phone'/>`,
		`<presence from='alice@example.com/laptop' to='alice@example.com/phone'/>`,
		`<message from='bob@example.com/desk' to='alice@example.com' id='f1' type='chat'><body>one</body>`+stamp+`</message>`,
		`<message from='bob@example.com/desk' to='alice@example.com/laptop' id='f2'><body>two</body>`+stamp+`</message>`)
	if n := e.offline("alice"); n != 0 {
		t.Errorf("%d offline messages, want 0", n)
	}

	// One of two (equal priority) failing: the other one gets it.
	in4 := `<message from='bob@example.com/desk' to='alice@example.com' id='f4'><body>four</body></message>`
	e.send(b, in4)
	expect(t, "phone", p, in4)
	expect(t, "bob (sender)", b)
	if n := e.offline("alice"); n != 0 {
		t.Errorf("%d offline messages, want 0", n)
	}
}

func TestOfflineDeliveryFailureKeepsMessages(t *testing.T) {
	e := newEnv(t, chat.Options{})
	b := e.bind(bobD)
	for i := 1; i <= 3; i++ {
		e.send(b, fmt.Sprintf(`<message from='bob@example.com/desk' to='alice@example.com' id='k%d'><body>%d</body></message>`, i, i))
	}
	a := e.bind(aliceL)
	a.setFail(true)
	e.send(a, `<presence from='alice@example.com/laptop'/>`)
	if n := e.offline("alice"); n != 3 {
		t.Fatalf("%d offline messages after a failed delivery, want 3", n)
	}
	e.r.Unbind(a)
	a = e.bind(aliceL)
	e.send(a, `<presence from='alice@example.com/laptop'/>`)
	const stamp = `<delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'>Offline Storage</delay>`
	// Put back without our stamp, so one stamp only, order kept.
	expect(t, "laptop", a,
		`<presence from='alice@example.com/laptop' to='alice@example.com/laptop'/>`,
		`<message from='bob@example.com/desk' to='alice@example.com' id='k1'><body>1</body>`+stamp+`</message>`,
		`<message from='bob@example.com/desk' to='alice@example.com' id='k2'><body>2</body>`+stamp+`</message>`,
		`<message from='bob@example.com/desk' to='alice@example.com' id='k3'><body>3</body>`+stamp+`</message>`)
}

func TestStoreUndeliverable(t *testing.T) {
	e := newEnv(t, chat.Options{})
	for _, tc := range []struct {
		in    string
		owner string
		n     int
	}{
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop' type='chat'><body>1</body></message>`, "alice", 1},
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop'><body>2</body></message>`, "alice", 2},
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop' type='normal'><body>3</body></message>`, "alice", 3},
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop' type='headline'><body>x</body></message>`, "alice", 3},
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop' type='groupchat'><body>x</body></message>`, "alice", 3},
		{`<message from='bob@example.com/desk' to='alice@example.com/laptop' type='error'><body>x</body></message>`, "alice", 3},
		{`<presence from='bob@example.com/desk' to='alice@example.com/laptop'/>`, "alice", 3},
		{`<iq from='bob@example.com/desk' to='alice@example.com/laptop' type='get' id='i'><ping xmlns='urn:xmpp:ping'/></iq>`, "alice", 3},
		{`<message from='bob@example.com/desk' to='carol@other.org/x'><body>x</body></message>`, "carol", 0},
	} {
		e.r.StoreUndeliverable(parse(t, tc.in))
		if n := e.offline(tc.owner); n != tc.n {
			t.Errorf("after %s: %s has %d offline messages, want %d", tc.in, tc.owner, n, tc.n)
		}
	}
}
