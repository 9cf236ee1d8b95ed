package interop

// poezio 0.14 (Debian's package, on slixmpp) in tmux: a poezio.cfg that
// connects to the test listener (custom_host, custom_port) and verifies
// the server certificate against the lab CA (ca_cert_path), its debug log
// (-d FILE, every stanza in and out). poezio refuses to run as root
// ("Please do not run poezio as root."), so under root (CI) the test runs
// it as nobody through setpriv, in a home nobody owns.
//
// At login poezio binds, fetches its own vCard (XEP-0054), the roster,
// publishes its nickname with PEP (XEP-0172), asks disco#info of the
// server and of its own account (for the archive, XEP-0313), enables
// carbons (XEP-0280) when the server lists them, and fetches bookmarks
// from PEP (XEP-0402/0048) or private storage (XEP-0049) when the server
// lists either (pubsub#publish, jabber:iq:private); when it lists
// neither it says "No remote bookmark storage available". slixmpp tries
// the -PLUS mechanisms with tls-unique and SCRAM with "y" first (both
// refused: TLS 1.3 has no tls-unique, and "y" when -PLUS was offered is a
// downgrade), then logs in with PLAIN.

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// poezioWarnings are what poezio says (in its window, or in its debug log
// of the stanzas it received) when the server lacks something it uses.
var poezioWarnings = []clientWarning{
	warning("bookmarks: PEP (XEP-0163) or private storage (XEP-0049)", "No remote bookmark storage available"),
	warning("bookmarks: PEP (XEP-0163) or private storage (XEP-0049)", "Unable to fetch the remote bookmarks"),
	warning("bookmarks: PEP (XEP-0163) or private storage (XEP-0049)", "Could not set the remote bookmarks"),
	warning("message carbons (XEP-0280)", "RECV: <iq", `type="error"`, "urn:xmpp:carbons:2"),
	// The archive of a conversation is the account's (disco#info to the
	// bare JID, then a query there). A room's archive is the room's: poezio
	// asks before it joins, and a room that does not exist yet has none.
	warning("disco#info on the account (XEP-0030)", "RECV: <iq", `type="error"`, `from="bob@localhost"`, "http://jabber.org/protocol/disco#info"),
	warning("message archive (XEP-0313)", "Failed fetching logs for carol@localhost"),
	warning("message archive (XEP-0313)", "The entity carol@localhost does not support MAM"),
	warning("vCard (XEP-0054)", "RECV: <iq", `type="error"`, `<vCard xmlns="vcard-temp"`),
	warning("PEP (XEP-0163)", "RECV: <iq", `type="error"`, `<publish node="http://jabber.org/protocol/nick">`),
}

// poezio is one poezio process in tmux.
type poezio struct {
	*pane
	debugLog string
}

// startPoezio writes poezio's configuration for user and runs it in tmux.
func startPoezio(t *testing.T, j *jabberd, user string) *poezio {
	t.Helper()
	bin := needClient(t, "poezio", "poezio")
	home := clientHome(t, "poezio")
	host, port, err := net.SplitHostPort(j.addr)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(j.caFile())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "ca.crt"), string(ca))
	cfg := "[Poezio]\n" +
		"jid = " + user + "@localhost\n" +
		"password = " + password(user) + "\n" +
		"custom_host = " + host + "\n" +
		"custom_port = " + port + "\n" +
		"ca_cert_path = " + filepath.Join(home, "ca.crt") + "\n" +
		"resource = poezio\n"
	if err := os.MkdirAll(filepath.Join(home, "config", "poezio"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, "config", "poezio", "poezio.cfg"), cfg)
	chownToRunner(t, home)
	debugLog := filepath.Join(home, "debug.log")
	argv := append(runAsNobody(t), "env", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"TERM=tmux-256color", "LANG=C.UTF-8", bin, "-d", debugLog)
	return &poezio{pane: startPane(t, "poezio", argv...), debugLog: debugLog}
}

// command types a command in the roster tab, where "/" opens the command
// line: sent with the rest, the keys arrive as one paste, which the roster
// tab ignores.
func (p *poezio) command(line string) {
	p.t.Helper()
	p.keys("/")
	p.waitUntil("the command line open", func(scr string) bool {
		return !strings.Contains(scr, "Enter commands with “/”")
	})
	p.typeLine(line)
}

var poezioJID = regexp.MustCompile(`Your JID is (\S+)`)

// TestPoezio: poezio logs in over STARTTLS (certificate verified), gets
// its vCard (a result), sends carol (slixmpp) a message she receives, joins
// team@conference.localhost, and its message to the room comes back from
// the room (its debug log shows the groupchat message from
// team@conference.localhost/bob received, its window the line); its
// window and debug log show none of poezioWarnings.
func TestPoezio(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	p := startPoezio(t, j, "bob")
	scr := p.waitFor("Info> Connected to server.", "Info> Authentication success.", "Your JID is bob@localhost/poezio")
	full := poezioJID.FindStringSubmatch(scr)[1]
	auth := j.waitLog(t, 1, fields{"message": "authenticated", "jid": "bob@localhost"})[0]
	if m := auth.Str("mechanism"); m != "PLAIN" {
		t.Errorf("server log: poezio authenticated with %s, want PLAIN (slixmpp's choice here): %s", m, auth)
	}
	j.waitQuery(t, full, "<enable", "urn:xmpp:carbons:2")
	j.waitQuery(t, full, "vcard-temp")
	// PEP: the server asked what poezio's caps mean, poezio's nickname
	// publish got a result, and the notification of it came back to
	// poezio itself (its caps list http://jabber.org/protocol/nick+notify).
	waitFileContains(t, "poezio's debug log", p.debugLog, "SEND: <iq", `type="result"`, `to="localhost"`, `id="caps sha-1 `, "http://jabber.org/protocol/nick+notify")
	waitFileContains(t, "poezio's debug log", p.debugLog, "RECV: <iq", `type="result"`, `<publish node="http://jabber.org/protocol/nick"><item id="current" />`)
	waitFileContains(t, "poezio's debug log", p.debugLog, `RECV: <message from="bob@localhost"`, `type="headline"`,
		`<items node="http://jabber.org/protocol/nick"><item id="current"><nick xmlns="http://jabber.org/protocol/nick">bob</nick>`)
	// Its caps verified (its features hold storage:bookmarks and
	// storage:bookmarks+notify: the order XEP-0115 §5.1 sorts in).
	if bad := j.entries(fields{"message": "a client's disco#info does not match its caps hash: kept for it alone"}); len(bad) > 0 {
		t.Errorf("poezio's caps did not verify: %v", bad)
	}
	// Its bookmarks: from private storage (XEP-0049), though PEP is listed.
	waitFileContains(t, "poezio's debug log", p.debugLog, "RECV: <iq", `type="result"`, `<query xmlns="jabber:iq:private"><storage xmlns="storage:bookmarks"`)
	waitFileContains(t, "poezio's debug log", p.debugLog, "RECV: <iq", `type="result"`, `<vCard xmlns="vcard-temp"`)

	recv := startReceiver(t, j, "carol")
	body := "hello carol, from poezio"
	p.command("message carol@localhost " + body)
	assertGotMessage(t, recv, "carol", "bob@localhost", body)
	// The new conversation tab looks for the archive of its account.
	j.waitQuery(t, full, "to='bob@localhost'", "disco#info")
	// The account lists MAM: poezio then asks the archive for carol.
	j.waitQuery(t, full, "urn:xmpp:mam:2", "carol@localhost")

	p.typeLine("/join team@conference.localhost/bob")
	p.waitFor("You (bob) joined the room", "The room has been created")
	// poezio bookmarks the room it joined, in private storage.
	j.waitQuery(t, full, "jabber:iq:private", "<conference", "jid='team@conference.localhost'")
	room := "hello team, from poezio"
	p.sayInRoom("poezio's debug log", p.debugLog, "bob", room, "bob> "+room)

	p.typeLine("/version localhost")
	p.waitFor("localhost is running jabberd")
	p.typeLine("/win 0")
	scr = p.waitFor("Your JID is", "localhost is running jabberd")
	assertNoWarnings(t, "poezio", map[string]string{"window": scr, "debug log": readClientFile(t, p.debugLog)}, poezioWarnings)
	keepTranscript(t, "poezio", scr)

	p.command("quit")
	j.waitLog(t, 1, fields{"message": "closing", "jid": full})
}
