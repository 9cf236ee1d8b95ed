package interop

// mcabber 1.1.2 (Debian's package, on loudmouth) in tmux: an mcabberrc
// that connects to the test listener with STARTTLS required (tls = 1),
// verifies the server certificate against the lab CA (ssl_ca), enables
// carbons and writes its log window to a trace log (tracelog_level 1),
// which holds every line mcabber shows there, also those its small log
// window has scrolled away.
//
// At login mcabber binds, starts a session (RFC 3921), fetches the roster,
// disco#info of the server, the bookmarks and its roster notes from
// private storage (XEP-0049: storage:bookmarks, storage:rosternotes) and
// enables carbons (XEP-0280) when disco lists them. It logs in with PLAIN.
// "/request vcard JID" asks for a vCard (XEP-0054).

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// mcabberWarnings are what mcabber says when the server lacks something
// it uses at login or for /request vcard.
var mcabberWarnings = []clientWarning{
	warning("private storage (XEP-0049) of bookmarks", "Server does not support bookmarks storage."),
	warning("private storage (XEP-0049) of roster notes", "Server does not support roster notes storage."),
	warning("private storage (XEP-0049)", "Sorry, your server doesn't seem to support private storage."),
	// The answer to /request vcard alice@localhost.
	warning("vCard (XEP-0054)", "Received error IQ message (alice@localhost)"),
	warning("vCard (XEP-0054)", "Received error packet [service-unavailable]"),
}

// mcabber is one mcabber process in tmux.
type mcabber struct {
	*pane
	traceLog string
}

// startMcabber writes mcabber's configuration for user and runs it in tmux.
func startMcabber(t *testing.T, j *jabberd, user string) *mcabber {
	t.Helper()
	bin := needClient(t, "mcabber", "mcabber")
	home := t.TempDir()
	host, port, err := net.SplitHostPort(j.addr)
	if err != nil {
		t.Fatal(err)
	}
	traceLog := filepath.Join(home, "mcabber.log")
	rc := fmt.Sprintf(`set jid = %s@localhost
set password = %s
set server = %s
set port = %s
set resource = mcabber
set disable_random_resource = 1
set tls = 1
set ssl_ca = %s
set carbons = 1
set tracelog_level = 1
set tracelog_file = %s
`, user, password(user), host, port, j.caFile(), traceLog)
	dir := filepath.Join(home, ".mcabber")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	// mcabber warns about a configuration others may read.
	writeFile(t, filepath.Join(dir, "mcabberrc"), rc)
	p := startPane(t, "mcabber", "env", "HOME="+home, bin, "-f", filepath.Join(dir, "mcabberrc"))
	return &mcabber{pane: p, traceLog: traceLog}
}

// TestMcabber: mcabber logs in over STARTTLS (certificate verified),
// enables carbons ("Carbons enabled."), sends carol (slixmpp) a message
// she receives and fetches alice's vCard ("Received IQ:vCard result");
// its window and trace log show none of mcabberWarnings.
func TestMcabber(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	m := startMcabber(t, j, "alice")
	const full = "alice@localhost/mcabber"
	waitFileContains(t, "mcabber's trace log", m.traceLog, "Connection established.")
	auth := j.waitLog(t, 1, fields{"message": "authenticated", "jid": "alice@localhost"})[0]
	if mech := auth.Str("mechanism"); mech != "PLAIN" {
		t.Errorf("server log: mcabber authenticated with %s, want PLAIN (loudmouth's choice): %s", mech, auth)
	}
	j.waitQuery(t, full, "jabber:iq:private", "storage:bookmarks")
	j.waitQuery(t, full, "jabber:iq:private", "storage:rosternotes")
	j.waitQuery(t, full, "<enable", "urn:xmpp:carbons:2")
	m.waitFor("Carbons enabled.")

	recv := startReceiver(t, j, "carol")
	body := "hello carol, from mcabber"
	m.typeLine("/say_to carol@localhost " + body)
	assertGotMessage(t, recv, "carol", "alice@localhost", body)

	m.typeLine("/request vcard alice@localhost")
	j.waitQuery(t, full, "to='alice@localhost'", "vcard-temp")
	waitFileContains(t, "mcabber's trace log", m.traceLog, "Received IQ:vCard result from <alice@localhost>")
	// A round trip after the vCard's: mcabber has handled its answer.
	m.typeLine("/request version localhost")
	waitFileContains(t, "mcabber's trace log", m.traceLog, "Received IQ:version result from <localhost>")
	scr := m.screen()
	trace := readClientFile(t, m.traceLog)
	assertNoWarnings(t, "mcabber", map[string]string{"window": scr, "trace log": trace}, mcabberWarnings)
	keepTranscript(t, "mcabber", trace)

	m.typeLine("/quit")
	j.waitLog(t, 1, fields{"message": "closing", "jid": full})
}
