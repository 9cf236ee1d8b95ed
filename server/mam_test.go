package server_test

// XEP-0313 Message Archive Management and XEP-0359 stanza ids end to end,
// over loopback TLS.

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"jabberd/config"
	"jabberd/stream"
)

const (
	nsMAM = "urn:xmpp:mam:2"
	nsRSM = "http://jabber.org/protocol/rsm"
)

// mamQuery sends a query of c's archive (form fields, then RSM) and reads
// the results up to the IQ result: the result messages' forwarded
// message ids, the result ids, and the <fin/>.
func mamQuery(t *testing.T, c *chatClient, qid string, fields map[string]string, rsm string, extra string) (bodies, ids []string, fin *etree.Element) {
	t.Helper()
	id := c.id("mam")
	var x strings.Builder
	if len(fields) > 0 {
		x.WriteString("<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>" + nsMAM + "</value></field>")
		for k, v := range fields {
			x.WriteString("<field var='" + k + "'><value>" + v + "</value></field>")
		}
		x.WriteString("</x>")
	}
	if rsm != "" {
		x.WriteString("<set xmlns='" + nsRSM + "'>" + rsm + "</set>")
	}
	c.send("<iq type='set' id='" + id + "'><query xmlns='" + nsMAM + "' queryid='" + qid + "'>" + x.String() + extra + "</query></iq>")
	for {
		el := c.nextElement()
		if el.Tag == "iq" {
			if el.SelectAttrValue("id", "") != id || el.SelectAttrValue("type", "") != "result" {
				t.Fatalf("query %s answered %s", qid, stream.Marshal(el))
			}
			return bodies, ids, el.SelectElement("fin")
		}
		r := el.SelectElement("result")
		if el.Tag != "message" || r == nil || r.SelectAttrValue("queryid", "") != qid || el.SelectAttrValue("from", "") != chatBare(c.jid) {
			t.Fatalf("query %s: unexpected %s", qid, stream.Marshal(el))
		}
		f := r.SelectElement("forwarded")
		if f == nil || f.SelectElement("delay") == nil || f.SelectElement("message") == nil {
			t.Fatalf("query %s: result without forwarded delay and message: %s", qid, stream.Marshal(el))
		}
		bodies = append(bodies, f.SelectElement("message").SelectElement("body").Text())
		ids = append(ids, r.SelectAttrValue("id", ""))
	}
}

func chatBare(jid string) string { b, _, _ := strings.Cut(jid, "/"); return b }

// finOf renders a fin as complete, first (and an index, which jabberd
// leaves out), last, count.
func finOf(fin *etree.Element) string {
	set := fin.SelectElement("set")
	s := "complete=" + fin.SelectAttrValue("complete", "")
	if f := set.SelectElement("first"); f != nil {
		s += " first=" + f.Text()
		if f.SelectAttr("index") != nil {
			s += "@" + f.SelectAttrValue("index", "")
		}
	}
	if l := set.SelectElement("last"); l != nil {
		s += " last=" + l.Text()
	}
	return s + " count=" + set.SelectElement("count").Text()
}

// TestMAM: the account's disco#info lists MAM; live and offline messages
// carry the recipient's stanza-id (a spoofed one is dropped), a chat state
// without a body is not archived; bob pages through his archive (first
// page, after, the last page, before, flip-page, count only), filters by
// with and by time, and gets item-not-found for an unknown ID; alice's
// archive has the same messages under the same IDs; the query form lists
// the fields.
func TestMAM(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Chat.AutoRoster = true })
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	bob.available("")

	bob.send("<iq type='get' id='d1' to='bob@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	info := string(stream.Marshal(bob.nextElement()))
	for _, want := range []string{"<iq id='d1' type='result' from='bob@localhost' to='bob@localhost/b'>", "<identity category='account' type='registered'/>", "<feature var='urn:xmpp:mam:2'/>", "<feature var='urn:xmpp:mam:2#extended'/>"} {
		if !strings.Contains(info, want) {
			t.Errorf("the account's disco#info has no %s: %s", want, info)
		}
	}

	var sids []string
	for i := 1; i <= 4; i++ {
		n := strconv.Itoa(i)
		alice.send("<message to='bob@localhost' type='chat' id='m" + n + "'><body>" + n + "</body>" +
			"<stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='spoofed'/></message>")
		el := bob.expect("<message to='bob@localhost' type='chat' id='m" + n + "' from='alice@localhost/a'><body>" + n + "</body>" +
			"<stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='{*}'/></message>")
		sids = append(sids, sidOf(el, "bob@localhost"))
	}
	alice.send("<message to='bob@localhost' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")
	if el := bob.expect("<message to='bob@localhost' type='chat' id='cs' from='alice@localhost/a'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>"); len(el.SelectElements("stanza-id")) != 0 {
		t.Errorf("a chat state without a body carries a stanza-id: %s", stream.Marshal(el))
	}
	bob.send("<message to='alice@localhost/a' type='chat' id='m5'><body>5</body></message>")
	alice.expect("<message to='alice@localhost/a' type='chat' id='m5' from='bob@localhost/b'><body>5</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='{*}'/></message>")
	bob.closeStream()
	alice.send("<message to='bob@localhost' type='chat' id='m6'><body>6</body></message>")
	alice.ping()
	bob = h.login(t, "bob", "b")
	bob.available("")
	el := bob.expect("<message to='bob@localhost' type='chat' id='m6' from='alice@localhost/a'><body>6</body>" +
		"<stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='{*}'/><delay xmlns='urn:xmpp:delay' from='localhost' stamp='{*}'>Offline Storage</delay></message>")
	bob.ping()

	bodies, ids, fin := mamQuery(t, bob, "q1", nil, "<max>3</max>", "")
	if strings.Join(bodies, ",") != "1,2,3" || strings.Join(ids, ",") != strings.Join(sids[:3], ",") {
		t.Fatalf("first page: bodies %v ids %v; want 1,2,3 under the stanza-ids %v", bodies, ids, sids[:3])
	}
	if got, want := finOf(fin), "complete=false first="+ids[0]+" last="+ids[2]+" count=6"; got != want {
		t.Errorf("first page fin: %s, want %s", got, want)
	}
	bodies, ids2, fin := mamQuery(t, bob, "q2", nil, "<max>3</max><after>"+ids[2]+"</after>", "")
	if strings.Join(bodies, ",") != "4,5,6" || ids2[2] != sidOf(el, "bob@localhost") || finOf(fin) != "complete=true first="+ids2[0]+" last="+ids2[2]+" count=6" {
		t.Errorf("second page: %v %v %s (m6 arrived as %s)", bodies, ids2, finOf(fin), sidOf(el, "bob@localhost"))
	}
	bodies, _, fin = mamQuery(t, bob, "q3", nil, "<max>2</max><before/>", "")
	if strings.Join(bodies, ",") != "5,6" || fin.SelectAttrValue("complete", "") != "false" {
		t.Errorf("last page: %v %s", bodies, finOf(fin))
	}
	bodies, _, fin = mamQuery(t, bob, "q4", nil, "<max>2</max><before>"+ids[1]+"</before>", "")
	if strings.Join(bodies, ",") != "1" || fin.SelectAttrValue("complete", "") != "true" {
		t.Errorf("before m2: %v %s", bodies, finOf(fin))
	}
	bodies, _, _ = mamQuery(t, bob, "q5", nil, "<max>2</max><before/>", "<flip-page/>")
	if strings.Join(bodies, ",") != "6,5" {
		t.Errorf("flipped last page: %v", bodies)
	}
	bodies, _, fin = mamQuery(t, bob, "q6", nil, "<max>0</max>", "")
	if len(bodies) != 0 || finOf(fin) != "complete=false count=6" {
		t.Errorf("count only: %v %s", bodies, finOf(fin))
	}
	bodies, _, _ = mamQuery(t, bob, "q7", map[string]string{"with": "alice@localhost/a"}, "", "")
	if strings.Join(bodies, ",") != "1,2,3,4,5,6" {
		t.Errorf("with alice/a: %v", bodies)
	}
	bodies, _, _ = mamQuery(t, bob, "q8", map[string]string{"with": "carol@localhost"}, "", "")
	if len(bodies) != 0 {
		t.Errorf("with carol: %v", bodies)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	bodies, _, _ = mamQuery(t, bob, "q9", map[string]string{"start": future}, "", "")
	if len(bodies) != 0 {
		t.Errorf("start in an hour: %v", bodies)
	}
	bodies, _, _ = mamQuery(t, bob, "q10", map[string]string{"end": future, "after-id": ids[0], "before-id": ids[2]}, "", "")
	if strings.Join(bodies, ",") != "2" {
		t.Errorf("between m1 and m3: %v", bodies)
	}
	bob.send("<iq type='set' id='nf'><query xmlns='" + nsMAM + "'><set xmlns='" + nsRSM + "'><after>12345</after></set></query></iq>")
	bob.expect("<iq id='nf' type='error' to='bob@localhost/b' from='bob@localhost'><error code='404' type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>no message in the archive has that ID</text></error></iq>")
	bob.send("<iq type='set' id='bf'><query xmlns='" + nsMAM + "'><x xmlns='jabber:x:data' type='submit'><field var='colour'><value>red</value></field></x></query></iq>")
	bob.expect("<iq id='bf' type='error' to='bob@localhost/b' from='bob@localhost'><error code='400' type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the archive has no field \"colour\" (ask for the form to see the fields)</text></error></iq>")
	bob.send("<iq type='get' id='f1'><query xmlns='" + nsMAM + "'/></iq>")
	bob.expect("<iq id='f1' type='result' from='bob@localhost' to='bob@localhost/b'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='form'>" +
		"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with' type='jid-single'/><field var='start' type='text-single'/>" +
		"<field var='end' type='text-single'/><field var='after-id' type='text-single'/><field var='before-id' type='text-single'/><field var='ids' type='text-multi'/></x></query></iq>")
	bob.send("<iq type='set' id='o1' to='alice@localhost'><query xmlns='" + nsMAM + "'/></iq>")
	bob.expect("<iq id='o1' type='error' from='alice@localhost' to='bob@localhost/b'><error code='403' type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>only your own archive can be read</text></error></iq>")

	bodies, aids, _ := mamQuery(t, alice, "a1", map[string]string{"with": "bob@localhost"}, "", "")
	if strings.Join(bodies, ",") != "1,2,3,4,5,6" || strings.Join(aids[:3], ",") != strings.Join(ids, ",") {
		t.Errorf("alice's archive: %v %v, want the same messages under bob's IDs %v", bodies, aids, ids)
	}
}

// TestMAMPrefsAndBounds: bob's preferences say never for alice: her next
// message reaches him without a stanza-id and only her archive keeps it;
// the preferences read back, and a list past chat.archive_max_prefs_jids
// is refused with resource-constraint; past chat.archive_max_messages the
// oldest messages go; a page is at most chat.archive_max_page; a message
// refused by full offline storage is taken out of the archive again.
func TestMAMPrefsAndBounds(t *testing.T) {
	h := start(t, func(c *config.Config) {
		c.Chat.ArchiveMaxMessages = 3
		c.Chat.ArchiveMaxPage = 2
		c.Chat.ArchiveMaxPrefsJIDs = 2
		c.Chat.OfflineQuota = 1
	})
	alice := h.login(t, "alice", "a")
	bob := h.login(t, "bob", "b")
	bob.send("<iq type='get' id='p0'><prefs xmlns='" + nsMAM + "'/></iq>")
	bob.expect("<iq id='p0' type='result' from='bob@localhost' to='bob@localhost/b'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never/></prefs></iq>")
	for i := 1; i <= 5; i++ {
		n := strconv.Itoa(i)
		alice.send("<message to='bob@localhost/b' type='chat' id='m" + n + "'><body>" + n + "</body></message>")
		bob.expect("<message to='bob@localhost/b' type='chat' id='m" + n + "' from='alice@localhost/a'><body>" + n + "</body><stanza-id xmlns='urn:xmpp:sid:0' by='bob@localhost' id='{*}'/></message>")
	}
	bodies, _, fin := mamQuery(t, bob, "q1", nil, "<max>100</max>", "")
	if strings.Join(bodies, ",") != "3,4" || finOf(fin)[:14] != "complete=false" || !strings.HasSuffix(finOf(fin), "count=3") {
		t.Errorf("an archive of at most 3, a page of at most 2: %v %s", bodies, finOf(fin))
	}
	bob.send("<iq type='set' id='p1'><prefs xmlns='" + nsMAM + "' default='always'><always/><never><jid>Alice@localhost</jid></never></prefs></iq>")
	bob.expect("<iq id='p1' type='result' from='bob@localhost' to='bob@localhost/b'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>alice@localhost</jid></never></prefs></iq>")
	bob.send("<iq type='get' id='p2'><prefs xmlns='" + nsMAM + "'/></iq>")
	bob.expect("<iq id='p2' type='result' from='bob@localhost' to='bob@localhost/b'><prefs xmlns='urn:xmpp:mam:2' default='always'><always/><never><jid>alice@localhost</jid></never></prefs></iq>")
	alice.send("<message to='bob@localhost/b' type='chat' id='m6'><body>6</body></message>")
	if el := bob.expect("<message to='bob@localhost/b' type='chat' id='m6' from='alice@localhost/a'><body>6</body></message>"); sidOf(el, "bob@localhost") != "" {
		t.Errorf("m6, which bob's archive does not keep, carries his stanza-id: %s", stream.Marshal(el))
	}
	got := h.archivedIDs(t, h.set.Store, "bob@localhost")
	if _, ok := got["m6"]; ok || len(got) != 3 {
		t.Errorf("bob's archive after never alice: %v", got)
	}
	if got := h.archivedIDs(t, h.set.Store, "alice@localhost"); len(got["m6"]) != 1 {
		t.Errorf("alice's archive does not have m6 once: %v", got)
	}
	bob.send("<iq type='set' id='p3'><prefs xmlns='" + nsMAM + "' default='roster'><always><jid>a@x</jid><jid>b@x</jid></always><never><jid>c@x</jid></never></prefs></iq>")
	bob.expect("<iq id='p3' type='error' to='bob@localhost/b' from='bob@localhost'><error code='500' type='wait'><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>3 JIDs in always and never; at most 2 are kept (chat.archive_max_prefs_jids)</text></error></iq>")
	bob.send("<iq type='set' id='p4'><prefs xmlns='" + nsMAM + "' default='sometimes'/></iq>")
	bob.expect("<iq id='p4' type='error' to='bob@localhost/b' from='bob@localhost'><error code='400' type='modify'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>default must be always, never or roster, not \"sometimes\"</text></error></iq>")

	// Offline storage holds one message: the second is refused, and
	// withdrawn from alice's archive (bob's never keeps hers now).
	bob.closeStream()
	alice.send("<message to='bob@localhost' type='chat' id='m7'><body>7</body></message>")
	alice.send("<message to='bob@localhost' type='chat' id='m8'><body>8</body></message>")
	if el := alice.nextElement(); el.SelectAttrValue("id", "") != "m8" || el.SelectAttrValue("type", "") != "error" {
		t.Fatalf("alice: want m8 refused, got %s", stream.Marshal(el))
	}
	// The refusal is written before the withdrawal is queued, on alice's
	// goroutine, which handles her next stanza only after both: once her
	// ping is answered, the withdrawal is queued and Flush waits for it.
	alice.send("<iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>")
	alice.expect("<iq id='sync' type='result' from='alice@localhost' to='alice@localhost/a'/>")
	got = h.archivedIDs(t, h.set.Store, "alice@localhost")
	if _, ok := got["m8"]; ok || len(got["m7"]) != 1 {
		t.Errorf("alice's archive after m7 stored and m8 refused: %v", got)
	}
}
