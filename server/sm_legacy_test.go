package server_test

// XEP-0198 on legacy (version-less) streams, over real sockets: offered
// to a header that declares xmlns:sm, enabled after the jabber:iq:auth
// session start, resumed after XEP-0034 SASL in place of it — on a legacy
// stream and on an RFC 6120 one.

import (
	"encoding/base64"
	"strconv"
	"testing"

	"jabberd/stream"
)

// legacyLogin logs user in on a legacy stream: XEP-0035 STARTTLS, XEP-0034
// SASL PLAIN, then the jabber:iq:auth session start with resource (none:
// the caller starts the session or resumes). With sm the headers declare
// xmlns:sm='urn:xmpp:sm:3', and the server's must echo it.
func (h *harness) legacyLogin(t testing.TB, user, resource string, sm bool) *chatClient {
	t.Helper()
	c := h.dialChat(t, user)
	decl := ""
	if sm {
		decl = " xmlns:sm='" + nsSM + "'"
	}
	open := func(ns string) {
		c.send("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='" + ns + "'" + decl + " to='localhost'>")
		c.r = stream.NewReader(c.conn, stream.Limits{}, 4096)
		ev, err := c.nextEvent()
		if err != nil || ev.Kind != stream.KindHeader {
			t.Fatalf("%s: want the server's legacy header, got %v %v", user, ev.Kind, err)
		}
		if ev.Header.HasAttr("version") || ev.Header.Declares(nsSM) != sm {
			t.Fatalf("%s: legacy header %v: a version, or the xmlns:sm echo %v where the client's declared it: %v", user, ev.Header.Attrs, ev.Header.Declares(nsSM), sm)
		}
	}
	open(nsLegacyTLS)
	c.send("<x:starttls/>")
	if ev, err := c.nextEvent(); err != nil || ev.Kind != stream.KindClose {
		t.Fatalf("%s: want </stream:stream> after <starttls/>, got %v %v", user, ev.Kind, err)
	}
	c.conn = tls13Client(c, h)
	open(nsLegacySASL)
	if m := c.nextElement(); m.Tag != "mechanisms" || !hasMechanism(m, "PLAIN") {
		t.Fatalf("%s: legacy mechanisms: %s", user, stream.Marshal(m))
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + h.password(user)))
	c.send("<x:auth mechanism='PLAIN'>" + cred + "</x:auth>")
	if el := c.nextElement(); el.Tag != "success" || el.NamespaceURI() != nsLegacySASL {
		t.Fatalf("%s: legacy SASL PLAIN: %s", user, stream.Marshal(el))
	}
	if resource == "" {
		return c
	}
	c.send("<iq type='set' id='s1'><query xmlns='jabber:iq:auth'><username>" + user + "</username><resource>" + resource + "</resource></query></iq>")
	c.expect("<iq id='s1' type='result'/>")
	c.jid = user + "@localhost/" + resource
	return c
}

// TestSMLegacy: bob on a legacy stream that declared xmlns:sm enables
// resumable stream management after his session start; alice's messages
// are counted and acknowledged; his connection vanishes; he resumes on a
// new legacy stream (after XEP-0034 SASL, in place of the session start)
// and gets what he had not received, once; then his session is resumed
// again on an RFC 6120 stream (the session is the same whatever the
// dialect). A legacy stream that did not declare xmlns:sm is refused
// <enable/> with policy-violation.
func TestSMLegacy(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	bob := &smClient{chatClient: h.legacyLogin(t, "bob", "b", true)}
	id := bob.enable(true)
	bob.send("<presence/>")
	bob.expectStanza("<presence from='bob@localhost/b' to='bob@localhost/b'/>")
	got := map[string]int{}
	alice.send(msg(1))
	got[bob.expectStanza(wantMsg(1)).SelectAttrValue("id", "")]++
	bob.send("<sm:r/>")
	bob.expectSM("<a xmlns='" + nsSM + "' h='1'/>")
	bob.noAck = true
	alice.send(msg(2))
	got[bob.expectStanza(wantMsg(2)).SelectAttrValue("id", "")]++
	received := bob.in
	// The connection vanishes: nothing is read or written on it from now.
	alice.send(msg(3))
	alice.ping()

	c := h.legacyLogin(t, "bob", "", true)
	c.send("<sm:resume previd='" + id + "' h='" + strconv.Itoa(int(received)) + "'/>")
	c.expect("<resumed xmlns='" + nsSM + "' h='1' previd='" + id + "'/>") // his presence
	c.jid = "bob@localhost/b"
	bob2 := &smClient{chatClient: c, in: received}
	got[bob2.expectStanza(wantMsg(3)).SelectAttrValue("id", "")]++
	bob2.smPing()
	received = bob2.in

	c = h.login(t, "bob", "")
	c.send("<resume xmlns='" + nsSM + "' previd='" + id + "' h='" + strconv.Itoa(int(received)) + "'/>")
	c.expect("<resumed xmlns='" + nsSM + "' h='2' previd='" + id + "'/>") // and his ping
	c.jid = "bob@localhost/b"
	bob3 := &smClient{chatClient: c, in: received}
	alice.send(msg(4))
	got[bob3.expectStanza(wantMsg(4)).SelectAttrValue("id", "")]++
	for i := 1; i <= 4; i++ {
		if n := got["m"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("m%d arrived %d times, want once", i, n)
		}
	}
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob, want 0", n)
	}

	carol := h.legacyLogin(t, "alice", "plain", false)
	carol.send("<enable xmlns='" + nsSM + "'/>")
	if el := carol.nextElement(); el.Tag != "error" || childNS(el, "policy-violation", nsStreams) == nil {
		t.Errorf("<enable/> on a legacy stream that did not ask: %s, want a policy-violation stream error", stream.Marshal(el))
	}
}
