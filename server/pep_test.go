package server_test

// The Personal Eventing Protocol (XEP-0163) end to end: publish,
// notifications through entity capabilities (XEP-0115), access models,
// last items at login, bounds.

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

const (
	nsPubsub = "http://jabber.org/protocol/pubsub"
	avatarMD = "urn:xmpp:avatar:metadata"
)

// capsVer is XEP-0115's sha-1 ver of a client with one identity
// client/pc and features (computed here as the XEP says, §5.1).
func capsVer(features []string) string {
	f := slices.Clone(features)
	slices.Sort(f)
	s := "client/pc//<"
	for _, v := range f {
		s += v + "<"
	}
	sum := sha1.Sum([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// withCaps sends c's initial presence with entity capabilities for
// features and answers the server's disco#info query for them, unless the
// server knows them already (known). It returns, once the server has read
// all that, what else c received that is not presence.
func withCaps(c *chatClient, features []string, known bool) []string {
	c.t.Helper()
	ver := capsVer(features)
	caps := "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://jabberd.test' ver='" + ver + "'/>"
	c.send("<presence>" + caps + "</presence>")
	query := "<iq type='get' from='localhost' to='" + c.jid + "' id='caps sha-1 " + ver + "'><query xmlns='http://jabber.org/protocol/disco#info' node='https://jabberd.test#" + ver + "'/></iq>"
	if !known {
		c.expect(query) // before the presence goes out
		answer := "<iq type='result' to='localhost' id='caps sha-1 " + ver + "'><query xmlns='http://jabber.org/protocol/disco#info' node='https://jabberd.test#" + ver + "'><identity category='client' type='pc'/>"
		for _, f := range features {
			answer += "<feature var='" + f + "'/>"
		}
		c.send(answer + "</query></iq>")
	}
	id := c.id("ping")
	c.send("<iq type='get' id='" + id + "' to='localhost'><ping xmlns='" + nsPing + "'/></iq>")
	var other []string
	echoed := false
	for {
		el := c.nextElement()
		got := string(stream.Marshal(el))
		switch {
		case el.Tag == "iq" && el.SelectAttrValue("id", "") == id:
			if !echoed {
				c.t.Fatalf("%s: no echo of its presence with caps", c.user)
			}
			return other
		case got == "<presence from='"+c.jid+"' to='"+c.jid+"'>"+caps+"</presence>":
			echoed = true
		case el.Tag != "presence":
			other = append(other, got)
		}
	}
}

// pepError sends req and checks that the answer is an error with the
// condition cond and the pubsub condition app ("" for none).
func pepError(t *testing.T, c *chatClient, req, cond, app string) {
	t.Helper()
	c.send(req)
	el := c.nextElement()
	got := string(stream.Marshal(el))
	if el.SelectAttrValue("type", "") != "error" || !strings.Contains(got, "<"+cond+" ") ||
		(app != "" && !strings.Contains(got, "<"+app+" xmlns='"+nsPubsub+"#errors'")) {
		t.Errorf("%s\nwas answered with\n%s\nwant %s and %s", req, got, cond, app)
	}
}

func publishIQ(id, node, itemID, payload, options string) string {
	s := "<iq type='set' id='" + id + "'><pubsub xmlns='" + nsPubsub + "'><publish node='" + node + "'><item id='" + itemID + "'>" + payload + "</item></publish>"
	if options != "" {
		s += "<publish-options><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>" + nsPubsub + "#publish-options</value></field>" + options + "</x></publish-options>"
	}
	return s + "</pubsub></iq>"
}

func field(name, value string) string {
	return "<field var='" + name + "'><value>" + value + "</value></field>"
}

// TestPEP: bob's client says (caps) it wants avatar metadata and
// bookmarks notifications; the server asks what his caps mean once.
// alice's avatar publish reaches bob, her whitelisted bookmarks do not;
// bob reads her avatar items but cannot publish there; a publish
// whose options differ from the node's is precondition-not-met; the
// owner reads and changes the configuration; a retraction and a deletion
// are notified; bob's next login, with caps the server knows, brings him
// the last avatar without a query; disco#info of alice's account lists
// PEP; the bounds answer resource-constraint and policy-violation.
func TestPEP(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Chat.AutoRoster = true
		c.PEP.MaxNodes = 3
		c.PEP.MaxItemBytes = 300
	})
	alice := h.login(t, "alice", "a")
	alice.available("")
	bob := h.login(t, "bob", "b")
	feats := []string{"http://jabber.org/protocol/caps", avatarMD + "+notify", "urn:xmpp:bookmarks:1+notify"}
	if other := withCaps(bob, feats, false); len(other) != 0 {
		t.Errorf("bob's first login brought him %q", other)
	}
	alice.nextElement() // bob's presence

	meta := func(id string) string {
		return "<metadata xmlns='" + avatarMD + "'><info bytes='10' id='" + id + "' type='image/png'/></metadata>"
	}
	alice.send(publishIQ("p1", avatarMD, "h1", meta("h1"), ""))
	alice.expect("<iq id='p1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><publish node='" + avatarMD + "'><item id='h1'/></publish></pubsub></iq>")
	event := func(to, inner string) string {
		return "<message from='alice@localhost' to='" + to + "' type='headline' id='{*}'><event xmlns='" + nsPubsub + "#event'>" + inner + "</event></message>"
	}
	bob.expect(event("bob@localhost/b", "<items node='"+avatarMD+"'><item id='h1'>"+meta("h1")+"</item></items>"))

	bm := "<conference xmlns='urn:xmpp:bookmarks:1' name='Lab' autojoin='true'/>"
	alice.send(publishIQ("p2", "urn:xmpp:bookmarks:1", "lab@conference.localhost", bm,
		field("pubsub#access_model", "whitelist")+field("pubsub#persist_items", "true")+field("pubsub#max_items", "max")))
	alice.expect("<iq id='p2' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><publish node='urn:xmpp:bookmarks:1'><item id='lab@conference.localhost'/></publish></pubsub></iq>")

	getItems := "<iq type='get' id='g1' to='alice@localhost'><pubsub xmlns='" + nsPubsub + "'><items node='" + avatarMD + "'/></pubsub></iq>"
	bob.send(getItems) // also proves bob got no bookmarks notification: this answer comes next
	bob.expect("<iq id='g1' type='result' from='alice@localhost' to='bob@localhost/b'><pubsub xmlns='" + nsPubsub + "'><items node='" + avatarMD + "'><item id='h1'>" + meta("h1") + "</item></items></pubsub></iq>")
	pepError(t, bob, "<iq type='get' id='g2' to='alice@localhost'><pubsub xmlns='"+nsPubsub+"'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>", "not-allowed", "closed-node")
	pepError(t, bob, strings.Replace(publishIQ("p3", avatarMD, "x", meta("x"), ""), "id='p3'", "id='p3' to='alice@localhost'", 1), "forbidden", "")

	// Preconditions on an existing node; then the owner's configuration.
	pepError(t, alice, publishIQ("p4", avatarMD, "h2", meta("h2"), field("pubsub#access_model", "whitelist")), "conflict", "precondition-not-met")
	alice.send("<iq type='get' id='c1'><pubsub xmlns='" + nsPubsub + "#owner'><configure node='" + avatarMD + "'/></pubsub></iq>")
	cfg := alice.nextElement()
	if got := string(stream.Marshal(cfg)); !strings.Contains(got, "<field var='pubsub#access_model' type='list-single'><value>presence</value>") ||
		!strings.Contains(got, "<field var='pubsub#max_items' type='text-single'><value>1</value>") {
		t.Errorf("the avatar node's configuration: %s", got)
	}
	alice.send("<iq type='set' id='c2'><pubsub xmlns='" + nsPubsub + "#owner'><configure node='" + avatarMD + "'><x xmlns='jabber:x:data' type='submit'>" +
		field("FORM_TYPE", nsPubsub+"#node_config") + field("pubsub#max_items", "2") + "</x></configure></pubsub></iq>")
	alice.expect("<iq id='c2' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	alice.send(publishIQ("p5", avatarMD, "h2", meta("h2"), field("pubsub#max_items", "2")))
	alice.nextElement()
	bob.expect(event("bob@localhost/b", "<items node='"+avatarMD+"'><item id='h2'>"+meta("h2")+"</item></items>"))
	bob.send(strings.Replace(getItems, "<items node", "<items max_items='5' node", 1))
	bob.expect("<iq id='g1' type='result' from='alice@localhost' to='bob@localhost/b'><pubsub xmlns='" + nsPubsub + "'><items node='" + avatarMD + "'><item id='h1'>" + meta("h1") + "</item><item id='h2'>" + meta("h2") + "</item></items></pubsub></iq>")

	alice.send("<iq type='set' id='r1'><pubsub xmlns='" + nsPubsub + "'><retract node='" + avatarMD + "'><item id='h1'/></retract></pubsub></iq>")
	alice.expect("<iq id='r1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	bob.expect(event("bob@localhost/b", "<items node='"+avatarMD+"'><retract id='h1'/></items>"))

	// Bob again: the server knows his caps, and sends him the last avatar.
	bob.closeStream()
	alice.nextElement() // bob's unavailable
	bob = h.login(t, "bob", "b2")
	other := withCaps(bob, feats, true)
	alice.nextElement() // bob's presence
	if len(other) != 1 || !pattern(event("bob@localhost/b2", "<items node='"+avatarMD+"'><item id='h2'>"+meta("h2")+"</item></items>")).MatchString(other[0]) {
		t.Errorf("bob's second login brought him %q, want alice's last avatar (h2) and no caps query", other)
	}

	bob.send("<iq type='get' id='d1' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	info := string(stream.Marshal(bob.nextElement()))
	for _, want := range []string{"<identity category='account' type='registered'/>", "<identity category='pubsub' type='pep'/>",
		"<feature var='" + nsPubsub + "#publish'/>", "<feature var='" + nsPubsub + "#publish-options'/>"} {
		if !strings.Contains(info, want) {
			t.Errorf("disco#info of alice's account has no %s: %s", want, info)
		}
	}

	// Bounds: the payload, then the nodes (two exist; the third is the last).
	pepError(t, alice, publishIQ("b1", "big", "1", "<big xmlns='big'>"+strings.Repeat("x", 300)+"</big>", ""), "policy-violation", "payload-too-big")
	alice.send(publishIQ("b2", "urn:xmpp:nick", "1", "<nick xmlns='http://jabber.org/protocol/nick'>Al</nick>", ""))
	alice.nextElement()
	pepError(t, alice, publishIQ("b3", "one-more", "1", "<x xmlns='y'/>", ""), "resource-constraint", "max-nodes-exceeded")
	pepError(t, alice, publishIQ("b4", "urn:xmpp:nick", "1", "<nick xmlns='http://jabber.org/protocol/nick'>Al</nick>", field("pubsub#max_items", "1000")), "conflict", "precondition-not-met")

	alice.send("<iq type='set' id='x1'><pubsub xmlns='" + nsPubsub + "#owner'><delete node='" + avatarMD + "'/></pubsub></iq>")
	alice.expect("<iq id='x1' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	bob.expect(event("bob@localhost/b2", "<delete node='"+avatarMD+"'/>"))
	pepError(t, bob, getItems, "item-not-found", "")
}

// TestBookmarksCompat: XEP-0048 bookmarks stored in private storage are
// XEP-0402 items (notified to the owner's client that wants them), and a
// room bookmarked or removed through XEP-0402 is in what private storage
// answers; a URL, which XEP-0402 has no form for, stays.
func TestBookmarksCompat(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	withCaps(alice, []string{"urn:xmpp:bookmarks:1+notify"}, false)
	url := "<url name='Example' url='https://example.org/'/>"
	lab := "<conference jid='lab@conference.localhost' name='Lab' autojoin='true'><nick>al</nick></conference>"
	alice.send("<iq type='set' id='s1'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" + lab + url + "</storage></query></iq>")
	lab402 := "<conference xmlns='urn:xmpp:bookmarks:1' name='Lab' autojoin='true'><nick>al</nick></conference>"
	alice.expectSet("<iq id='s1' type='result' from='alice@localhost' to='alice@localhost/a'/>",
		"<message from='alice@localhost' to='alice@localhost/a' type='headline' id='{*}'><event xmlns='"+nsPubsub+"#event'><items node='urn:xmpp:bookmarks:1'><item id='lab@conference.localhost'>"+lab402+"</item></items></event></message>")
	alice.send("<iq type='get' id='g1'><pubsub xmlns='" + nsPubsub + "'><items node='urn:xmpp:bookmarks:1'/></pubsub></iq>")
	alice.expect("<iq id='g1' type='result' from='alice@localhost' to='alice@localhost/a'><pubsub xmlns='" + nsPubsub + "'><items node='urn:xmpp:bookmarks:1'><item id='lab@conference.localhost'>" + lab402 + "</item></items></pubsub></iq>")

	tea402 := "<conference xmlns='urn:xmpp:bookmarks:1' name='Tea'/>"
	alice.send(publishIQ("p1", "urn:xmpp:bookmarks:1", "tea@conference.localhost", tea402, field("pubsub#access_model", "whitelist")))
	alice.nextElement() // the result
	alice.nextElement() // the notification
	getPrivate := "<iq type='get' id='g2'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'/></query></iq>"
	alice.send(getPrivate)
	alice.expect("<iq id='g2' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
		lab + "<conference jid='tea@conference.localhost' name='Tea'/>" + url + "</storage></query></iq>")

	alice.send("<iq type='set' id='r1'><pubsub xmlns='" + nsPubsub + "'><retract node='urn:xmpp:bookmarks:1'><item id='lab@conference.localhost'/></retract></pubsub></iq>")
	alice.nextElement()
	alice.nextElement()
	alice.send(getPrivate)
	alice.expect("<iq id='g2' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='jabber:iq:private'><storage xmlns='storage:bookmarks'>" +
		"<conference jid='tea@conference.localhost' name='Tea'/>" + url + "</storage></query></iq>")
}

// TestPEPAccessModels: without a subscription carol discovers and reads
// alice's open node (an OMEMO device list) but not her avatar (presence, the default:
// presence-subscription-required); bob, once alice approves his
// subscription, gets her last avatar (his caps want it), and then reads
// it; once he blocks her, her next publish does not reach him.
func TestPEPAccessModels(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	alice.available("")
	meta := "<metadata xmlns='" + avatarMD + "'><info bytes='3' id='h1' type='image/png'/></metadata>"
	alice.send(publishIQ("p1", avatarMD, "h1", meta, ""))
	alice.nextElement()
	devices := "<list xmlns='eu.siacs.conversations.axolotl'><device id='42'/></list>"
	alice.send(publishIQ("p2", "eu.siacs.conversations.axolotl.devicelist", "current", devices, ""))
	alice.nextElement()

	if _, err := h.set.Users().Add("carol", extraPassword("carol")); err != nil {
		t.Fatal(err)
	}
	carol := h.login(t, "carol", "c")
	items := func(node string) string {
		return "<iq type='get' id='g1' to='alice@localhost'><pubsub xmlns='" + nsPubsub + "'><items node='" + node + "'/></pubsub></iq>"
	}
	// Discovering alice's nodes (XEP-0060 §5.2): carol sees the open one.
	carol.send("<iq type='get' id='d1' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	carol.expect("<iq id='d1' type='result' from='alice@localhost' to='carol@localhost/c'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='alice@localhost' node='eu.siacs.conversations.axolotl.devicelist'/></query></iq>")
	alice.send("<iq type='get' id='d2'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	alice.expect("<iq id='d2' type='result' from='alice@localhost' to='alice@localhost/a'><query xmlns='http://jabber.org/protocol/disco#items'><item jid='alice@localhost' node='eu.siacs.conversations.axolotl.devicelist'/><item jid='alice@localhost' node='urn:xmpp:avatar:metadata'/></query></iq>")
	carol.send(items("eu.siacs.conversations.axolotl.devicelist"))
	carol.expect("<iq id='g1' type='result' from='alice@localhost' to='carol@localhost/c'><pubsub xmlns='" + nsPubsub + "'><items node='eu.siacs.conversations.axolotl.devicelist'><item id='current'>" + devices + "</item></items></pubsub></iq>")
	pepError(t, carol, items(avatarMD), "not-authorized", "presence-subscription-required")

	bob := h.login(t, "bob", "b")
	withCaps(bob, []string{avatarMD + "+notify"}, false)
	bob.send("<presence to='alice@localhost' type='subscribe'/>")
	alice.expect("<presence from='bob@localhost' to='alice@localhost/a' type='subscribe'/>")
	alice.send("<presence to='bob@localhost' type='subscribed'/>")
	event := "<message from='alice@localhost' to='bob@localhost/b' type='headline' id='{*}'><event xmlns='" + nsPubsub + "#event'><items node='" + avatarMD + "'><item id='h1'>" + meta + "</item></items></event></message>"
	bob.expectSet("<presence from='alice@localhost' to='bob@localhost/b' type='subscribed'/>", "<presence from='alice@localhost/a' to='bob@localhost/b'/>", event)
	bob.send(items(avatarMD))
	bob.expect("<iq id='g1' type='result' from='alice@localhost' to='bob@localhost/b'><pubsub xmlns='" + nsPubsub + "'><items node='" + avatarMD + "'><item id='h1'>" + meta + "</item></items></pubsub></iq>")

	// Once bob blocks alice (XEP-0191), her publish does not reach him.
	bob.send("<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='alice@localhost'/></block></iq>")
	bob.expect("<iq id='b1' type='result' from='bob@localhost' to='bob@localhost/b'/>")
	alice.nextElement() // bob's unavailable, as the block says
	alice.send(publishIQ("p3", avatarMD, "h2", meta, ""))
	alice.nextElement()
	bob.ping() // and nothing before its answer
}

// TestPEPSurvivesRestart: a node, its configuration and its items
// published before a restart are read after it.
func TestPEPSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	conf := func(c *config.Config) { c.StateDir = dir; c.Chat.AutoRoster = true }
	nick := "<nick xmlns='http://jabber.org/protocol/nick'>Al</nick>"
	t.Run("before", func(t *testing.T) {
		h := start(t, conf)
		alice := h.login(t, "alice", "a")
		alice.send(publishIQ("p1", "http://jabber.org/protocol/nick", "current", nick, field("pubsub#access_model", "open")))
		alice.nextElement()
		if err := h.shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	h := start(t, conf)
	alice := h.login(t, "alice", "a")
	alice.send("<iq type='get' id='c1'><pubsub xmlns='" + nsPubsub + "#owner'><configure node='http://jabber.org/protocol/nick'/></pubsub></iq>")
	if got := string(stream.Marshal(alice.nextElement())); !strings.Contains(got, "<field var='pubsub#access_model' type='list-single'><value>open</value>") {
		t.Errorf("the nick node's configuration after the restart: %s", got)
	}
	bob := h.login(t, "bob", "b")
	bob.send("<iq type='get' id='g1' to='alice@localhost'><pubsub xmlns='" + nsPubsub + "'><items node='http://jabber.org/protocol/nick'/></pubsub></iq>")
	bob.expect("<iq id='g1' type='result' from='alice@localhost' to='bob@localhost/b'><pubsub xmlns='" + nsPubsub + "'><items node='http://jabber.org/protocol/nick'><item id='current'>" + nick + "</item></items></pubsub></iq>")
}
