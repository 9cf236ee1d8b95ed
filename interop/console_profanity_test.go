package interop

// profanity 0.13.1 (Debian's package, on libstrophe) in tmux: an account
// file that connects to the test listener with STARTTLS required
// (tls.policy=force) and verifies the server certificate against the lab
// CA (tls.certpath: an OpenSSL CA directory holding it under its subject
// hash), its debug log (-l DEBUG) in its XDG data directory. The test
// reads its window and that log.
//
// At login profanity binds, enables stream management, fetches the
// roster, the XEP-0048 bookmarks from private storage (XEP-0049), the
// blocklist (XEP-0191), disco#info and disco#items of the server and then
// disco#info of each item, enables carbons (XEP-0280) and sends presence
// with entity capabilities. With mam=true it asks for the archive
// (XEP-0313) when a chat window opens, unless disco#info lacks
// urn:xmpp:mam:2, when it says so instead. It logs in with SCRAM-SHA-256
// (libstrophe does not bind to the channel): profanity has no setting that
// picks a mechanism.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// profanityWarnings are what profanity says when the server lacks
// something it uses at login, in a chat window and in a room.
var profanityWarnings = []clientWarning{
	warning("message carbons (XEP-0280)", "Server error enabling message carbons"),
	warning("ping (XEP-0199)", "Server ping not supported"),
	warning("ping (XEP-0199)", "Server doesn't advertise urn:xmpp:ping feature"),
	warning("blocking (XEP-0191)", "Blocking (urn:xmpp:blocking) not supported by server"),
	warning("multi-user chat (XEP-0045)", "Error joining room"),
	warning("message archive (XEP-0313)", "Server doesn't support MAM (urn:xmpp:mam:2)"),
	warning("message archive (XEP-0313)", "Server doesn't advertise urn:xmpp:mam:2 feature"),
	warning("private storage (XEP-0049) of bookmarks (XEP-0048)", "IQ error received, id: bookmark_init_request"),
}

// profanity is one profanity process in tmux.
type profanity struct {
	*pane
	logFile string // its debug log
}

// startProfanity writes profanity's account for user and runs it in
// tmux, connecting at start.
func startProfanity(t *testing.T, j *jabberd, user string) *profanity {
	t.Helper()
	bin := needClient(t, "profanity", "profanity")
	home := t.TempDir()
	config, data := filepath.Join(home, "config"), filepath.Join(home, "data")
	certs := filepath.Join(home, "certs")
	for _, d := range []string{filepath.Join(config, "profanity"), filepath.Join(data, "profanity"), certs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	caDir(t, j.caFile(), certs)
	host, port, err := net.SplitHostPort(j.addr)
	if err != nil {
		t.Fatal(err)
	}
	jid := user + "@localhost"
	account := fmt.Sprintf("[%s]\nenabled=true\njid=%s\nserver=%s\nport=%s\nresource=profanity\npassword=%s\ntls.policy=force\nmuc.nick=%s\n",
		jid, jid, host, port, password(user), user)
	prefs := fmt.Sprintf("[ui]\nsplash=false\n[connection]\nmam=true\ntls.certpath=%s\n", certs)
	writeFile(t, filepath.Join(data, "profanity", "accounts"), account)
	writeFile(t, filepath.Join(config, "profanity", "profrc"), prefs)
	p := startPane(t, "profanity", "env", "HOME="+home, "XDG_CONFIG_HOME="+config, "XDG_DATA_HOME="+data,
		bin, "-a", jid, "-l", "DEBUG")
	return &profanity{pane: p, logFile: filepath.Join(data, "profanity", "logs", "profanity.log")}
}

// caDir makes dir an OpenSSL CA directory holding caFile under its subject
// hash, which is what libstrophe's capath reads.
func caDir(t *testing.T, caFile, dir string) {
	t.Helper()
	openssl := needClient(t, "openssl", "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, openssl, "x509", "-hash", "-noout", "-in", caFile).Output()
	if err != nil {
		t.Fatalf("openssl x509 -hash: %v", err)
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, strings.TrimSpace(string(out))+".0"), string(b))
}

// TestProfanity: profanity logs in over STARTTLS (certificate verified),
// sends carol (slixmpp) a message she receives, joins
// team@conference.localhost, accepts the new room's default configuration,
// and its message to the room comes back from the room (profanity's log
// shows the groupchat message from team@conference.localhost/alice
// received, its window the line); its window and log show none of
// profanityWarnings.
func TestProfanity(t *testing.T) {
	t.Parallel()
	j := startJabberd(t, serverOptions{})
	p := startProfanity(t, j, "alice")
	const full = "alice@localhost/profanity"
	p.waitFor(full + " logged in successfully")
	auth := j.waitLog(t, 1, fields{"message": "authenticated", "jid": "alice@localhost"})[0]
	if m := auth.Str("mechanism"); m != "SCRAM-SHA-256" {
		t.Errorf("server log: profanity authenticated with %s, want SCRAM-SHA-256 (libstrophe's choice): %s", m, auth)
	}
	// What profanity asks at login; the answers are processed before the
	// ping's (one stream, in order).
	j.waitQuery(t, full, "<enable", "urn:xmpp:carbons:2")
	j.waitQuery(t, full, "jabber:iq:private", "storage:bookmarks")
	j.waitQuery(t, full, "urn:xmpp:blocking")
	j.waitQuery(t, full, "to='conference.localhost'", "disco#info")

	recv := startReceiver(t, j, "carol")
	body := "hello carol, from profanity"
	p.typeLine("/msg carol@localhost " + body)
	assertGotMessage(t, recv, "carol", "alice@localhost", body)
	// The chat window profanity opened asks the archive (mam=true).
	j.waitQuery(t, full, "urn:xmpp:mam:2", "carol@localhost")

	p.typeLine("/join team@conference.localhost")
	p.waitFor("-> You have joined the room as alice, role: moderator, affiliation: owner")
	p.typeLine("/room accept")
	p.waitFor("Room unlocked.")
	room := "hello team, from profanity"
	p.sayInRoom("profanity's log", p.logFile, "alice", room, "alice: "+room)

	p.typeLine("/win 1")
	p.typeLine("/ping")
	scr := p.waitFor("Ping response from")
	assertNoWarnings(t, "profanity", map[string]string{"window": scr, "log": readClientFile(t, p.logFile)}, profanityWarnings)
	keepTranscript(t, "profanity", scr)

	p.typeLine("/quit")
	j.waitLog(t, 1, fields{"message": "closing", "jid": full, "reason": "client closed the stream"})
}
