package server_test

// XEP-0198 stream management end to end: the counters both ways, and the
// fault test — messages sent to a session whose TCP connection vanishes
// without a close, with and without resumption: every message the server
// accepted arrives exactly once (live, on resume, or from offline
// storage), none twice.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/stream"
)

const nsSM = "urn:xmpp:sm:3"

// smClient is a chatClient that counts the stanzas it receives and
// answers the server's <r/> unless told not to.
type smClient struct {
	*chatClient
	in    uint32 // stanzas received since <enable/> (or as resumed)
	noAck bool   // leave the server's <r/> unanswered
	asked int    // <r/> received
}

// next returns the next stanza, answering (or counting) <r/> on the way.
func (c *smClient) next() *etree.Element {
	c.t.Helper()
	for {
		el := c.nextElement()
		if el.NamespaceURI() == nsSM && el.Tag == "r" {
			c.asked++
			if !c.noAck {
				c.send("<a xmlns='" + nsSM + "' h='" + strconv.FormatUint(uint64(c.in), 10) + "'/>")
			}
			continue
		}
		if el.Tag == "message" || el.Tag == "presence" || el.Tag == "iq" {
			c.in++
		}
		return el
	}
}

// expectStanza reads the next stanza (past <r/>) and matches it.
func (c *smClient) expectStanza(want string) *etree.Element {
	c.t.Helper()
	el := c.next()
	if got := string(stream.Marshal(el)); !matches(want, got) {
		c.t.Fatalf("%s received\n  %s\nwant\n  %s", c.user, got, want)
	}
	return el
}

// expectSM reads the next element that is not the server's <r/>
// (answering or counting those) and matches it.
func (c *smClient) expectSM(want string) *etree.Element {
	c.t.Helper()
	for {
		el := c.nextElement()
		if el.NamespaceURI() == nsSM && el.Tag == "r" {
			c.asked++
			if !c.noAck {
				c.send("<a xmlns='" + nsSM + "' h='" + strconv.FormatUint(uint64(c.in), 10) + "'/>")
			}
			continue
		}
		if got := string(stream.Marshal(el)); !matches(want, got) {
			c.t.Fatalf("%s received\n  %s\nwant\n  %s", c.user, got, want)
		}
		return el
	}
}

// enable sends <enable/> and returns the resumption id ("" if none).
func (c *smClient) enable(resume bool) string {
	c.t.Helper()
	if resume {
		c.send("<enable xmlns='" + nsSM + "' resume='true'/>")
		el := c.expect("<enabled xmlns='" + nsSM + "' id='{*}' resume='true' max='{*}'/>")
		return el.SelectAttrValue("id", "")
	}
	c.send("<enable xmlns='" + nsSM + "'/>")
	c.expect("<enabled xmlns='" + nsSM + "'/>")
	return ""
}

// smPing pings the server and reads the answer past <r/>.
func (c *smClient) smPing() {
	c.t.Helper()
	id := c.id("ping")
	c.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	c.expectStanza("<iq id='" + id + "' type='result' from='localhost' to='" + c.jid + "'/>")
}

func msg(n int) string {
	return fmt.Sprintf("<message to='bob@localhost' type='chat' id='m%d'><body>%d</body></message>", n, n)
}

func wantMsg(n int) string {
	return fmt.Sprintf("<message to='bob@localhost' type='chat' id='m%d' from='alice@localhost/a'><body>%d</body></message>", n, n)
}

// see counts a message bob received and notes its stanza-id, which must
// be there.
func see(got map[string]int, seen map[string]string, el *etree.Element) {
	id := el.SelectAttrValue("id", "")
	got[id]++
	seen[id] = sidOf(el, "bob@localhost")
	if seen[id] == "" {
		seen[id] = "(none)" // checkArchived reports it: archived IDs are numbers
	}
}

// msgIDs are the ids of msg(from) … msg(to).
func msgIDs(from, to int) []string {
	var ids []string
	for i := from; i <= to; i++ {
		ids = append(ids, "m"+strconv.Itoa(i))
	}
	return ids
}

func TestSMFeatureAndCounters(t *testing.T) {
	h := start(t, nil)
	c := h.login(t, "bob", "")
	// login read the features; ask for them to be sure sm is there.
	c.send("<iq type='set' id='b'><bind xmlns='" + nsBind + "'><resource>b</resource></bind></iq>")
	c.expect("<iq id='b' type='result'><bind xmlns='" + nsBind + "'><jid>bob@localhost/b</jid></bind></iq>")
	c.jid = "bob@localhost/b"
	bob := &smClient{chatClient: c}

	bob.send("<r xmlns='" + nsSM + "'/>") // before <enable/>: nothing to say
	bob.enable(false)
	bob.send("<r xmlns='" + nsSM + "'/>")
	bob.expect("<a xmlns='" + nsSM + "' h='0'/>")
	bob.noAck = true
	bob.smPing() // one stanza each way
	bob.smPing()
	bob.send("<r xmlns='" + nsSM + "'/>")
	bob.expect("<a xmlns='" + nsSM + "' h='2'/>")
	if bob.asked != 1 {
		t.Errorf("the server asked %d times with one request outstanding, want 1", bob.asked)
	}
	// Acknowledging the two answers: the server has nothing left, and asks
	// again only with the next stanza.
	bob.send("<a xmlns='" + nsSM + "' h='2'/>")
	bob.smPing()
	bob.send("<enable xmlns='" + nsSM + "'/>")
	bob.expectSM("<failed xmlns='" + nsSM + "'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")
	// More than was sent: a stream error.
	bob.send("<a xmlns='" + nsSM + "' h='9'/>")
	if el := bob.next(); el.Tag != "error" || childNS(el, "undefined-condition", nsStreams) == nil {
		t.Errorf("h past what was sent: got %s, want an undefined-condition stream error", stream.Marshal(el))
	}
	if bob.asked != 2 {
		t.Errorf("the server asked %d times, want 2", bob.asked)
	}
}

// smPair logs alice in plainly and bob with stream management, available.
func smPair(t *testing.T, h *harness, resume bool) (alice *chatClient, bob *smClient, id string) {
	alice = h.login(t, "alice", "a")
	bob = &smClient{chatClient: h.login(t, "bob", "b")}
	id = bob.enable(resume)
	bob.send("<presence/>")
	bob.expectStanza("<presence from='bob@localhost/b' to='bob@localhost/b'/>")
	return alice, bob, id
}

// TestSMResumeAfterVanishedConnection: bob's connection goes silent (the
// server has not noticed); alice's messages keep coming; bob resumes on a
// new connection and gets exactly what he had not received, once.
func TestSMResumeAfterVanishedConnection(t *testing.T) {
	h := start(t, nil)
	alice, bob, id := smPair(t, h, true)
	got, seen := map[string]int{}, map[string]string{}
	for i := 1; i <= 2; i++ {
		alice.send(msg(i))
		see(got, seen, bob.expectStanza(wantMsg(i)))
	}
	bob.send("<a xmlns='" + nsSM + "' h='" + strconv.Itoa(int(bob.in)) + "'/>")
	bob.noAck = true
	alice.send(msg(3))
	alice.send(msg(4))
	see(got, seen, bob.expectStanza(wantMsg(3)))
	received := bob.in // 3 was read, 4 may be in a buffer: bob has it not
	// The connection vanishes: nothing is read or written on it from now.
	for i := 5; i <= 6; i++ {
		alice.send(msg(i))
	}
	alice.ping()

	c := h.login(t, "bob", "")
	c.send("<resume xmlns='" + nsSM + "' previd='" + id + "' h='" + strconv.Itoa(int(received)) + "'/>")
	// bob sent one stanza on the old connection: his presence.
	c.expect("<resumed xmlns='" + nsSM + "' h='1' previd='" + id + "'/>")
	c.jid = "bob@localhost/b"
	bob2 := &smClient{chatClient: c, in: received}
	for i := 4; i <= 6; i++ {
		see(got, seen, bob2.expectStanza(wantMsg(i)))
	}
	// The session goes on: live, and the counters agree.
	alice.send(msg(7))
	see(got, seen, bob2.expectStanza(wantMsg(7)))
	bob2.send("<r xmlns='" + nsSM + "'/>")
	bob2.expectSM("<a xmlns='" + nsSM + "' h='1'/>")
	bob2.smPing()
	bob2.send("<r xmlns='" + nsSM + "'/>")
	bob2.expectSM("<a xmlns='" + nsSM + "' h='2'/>")
	for i := 1; i <= 7; i++ {
		if n := got["m"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("m%d arrived %d times, want once", i, n)
		}
	}
	h.checkArchived(t, h.set.Store, "bob@localhost", msgIDs(1, 7), seen)
	h.checkArchived(t, h.set.Store, "alice@localhost", msgIDs(1, 7), nil)
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Errorf("store: %d offline messages for bob, want 0", n)
	}
	// The old connection was cut.
	_ = bob.conn.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, end := bob.drain(nil); end == "" {
		t.Errorf("the old connection is still open")
	}
}

// TestSMNotResumedGoesOffline: bob's TCP connection drops without a close
// and he does not come back in time: what he had not acknowledged goes to
// offline storage in order, an IQ sent to him is answered with an error,
// and his next login gets every message once, with the stanza-id it is
// archived under (once, in his archive and in alice's).
func TestSMNotResumedGoesOffline(t *testing.T) {
	for _, resume := range []bool{true, false} {
		t.Run(fmt.Sprintf("resume=%v", resume), func(t *testing.T) {
			h := start(t, func(c *config.Config) { c.Chat.SMResumeTimeout = config.Duration{Duration: 300 * time.Millisecond} })
			alice, bob, id := smPair(t, h, resume)
			got, seen := map[string]int{}, map[string]string{}
			for i := 1; i <= 2; i++ {
				alice.send(msg(i))
				see(got, seen, bob.expectStanza(wantMsg(i)))
			}
			bob.send("<a xmlns='" + nsSM + "' h='" + strconv.Itoa(int(bob.in)) + "'/>")
			bob.send("<r xmlns='" + nsSM + "'/>") // the ack is read before …
			bob.expectSM("<a xmlns='" + nsSM + "' h='1'/>")
			bob.tcp.Close() // … the connection drops, without a close
			alice.send(msg(3))
			alice.send("<iq type='get' id='q1' to='bob@localhost/b'><query xmlns='jabber:iq:version'/></iq>")
			alice.send(msg(4))
			if el := alice.nextElement(); el.SelectAttrValue("type", "") != "error" || el.SelectAttrValue("id", "") != "q1" ||
				!strings.Contains(string(stream.Marshal(el)), "<service-unavailable") {
				t.Errorf("alice's IQ to bob was answered with %s, want service-unavailable", stream.Marshal(el))
			}
			h.logs.wait(t, h.chatMatch(bob.chatClient, "client disconnected"))
			deadline := time.Now().Add(ioTimeout)
			for {
				n, _ := h.set.Store.CountOffline("bob")
				if n == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("store: %d offline messages for bob, want 2", n)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if id != "" {
				c := h.login(t, "bob", "")
				c.send("<resume xmlns='" + nsSM + "' previd='" + id + "' h='2'/>")
				c.expect("<failed xmlns='" + nsSM + "' h='0'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>")
				c.closeStream()
			}
			b2 := h.login(t, "bob", "b2")
			b2.available("")
			for i := 3; i <= 4; i++ {
				el := b2.expect(wantMsg(i)[:len(wantMsg(i))-len("</message>")] + "<delay xmlns='urn:xmpp:delay' from='localhost' stamp='{*}'>Offline Storage</delay></message>")
				see(got, seen, el)
			}
			b2.ping()
			h.checkArchived(t, h.set.Store, "bob@localhost", msgIDs(1, 4), seen)
			h.checkArchived(t, h.set.Store, "alice@localhost", msgIDs(1, 4), nil)
			for i := 1; i <= 4; i++ {
				if n := got["m"+strconv.Itoa(i)]; n != 1 {
					t.Errorf("m%d arrived %d times, want once", i, n)
				}
			}
		})
	}
}

// TestSMShutdownStoresWaitingSession: a session waiting to be resumed when
// the server stops hands what it holds to offline storage first.
func TestSMShutdownStoresWaitingSession(t *testing.T) {
	h := start(t, nil)
	alice, bob, _ := smPair(t, h, true)
	bob.tcp.Close()
	h.logs.wait(t, h.chatMatch(bob.chatClient, "session detached; it may be resumed"))
	alice.send(msg(1))
	alice.ping()
	if n, _ := h.set.Store.CountOffline("bob"); n != 0 {
		t.Fatalf("store: %d offline messages for bob while his session waits, want 0", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	_ = h.shutdown(ctx)
	if n, err := h.set.Store.CountOffline("bob"); n != 1 || err != nil {
		t.Errorf("store: %d offline messages for bob after shutdown (%v), want 1", n, err)
	}
}
